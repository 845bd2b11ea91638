package io.resalign.train;

import java.util.Locale;

/**
 * The hyper-parameters of a {@code resnet-mlp} (docs/models.md): width d, depth L, BatchNorm on or
 * off, skips on or off, the post-activation phi and BatchNorm's epsilon, plus the input and output
 * sizes that the manifest's {@code input.shape} and {@code classes} give.
 */
public record MlpSpec(int width, int depth, boolean batchNorm, boolean skip, String postActivation, float bnEps,
        long inFeatures, int classes) {

    public MlpSpec {
        if (width <= 0 || depth < 0 || inFeatures <= 0 || classes < 2) {
            throw new IllegalArgumentException("invalid resnet-mlp: width " + width + ", depth " + depth + ", in " + inFeatures
                    + ", classes " + classes);
        }
        postActivation = postActivation.toLowerCase(Locale.ROOT);
        if (!postActivation.equals("identity") && !postActivation.equals("relu")) {
            throw new IllegalArgumentException("post-activation must be identity or relu, not " + postActivation);
        }
    }

    /** Returns whether phi is ReLU. */
    public boolean reluAfter() {
        return postActivation.equals("relu");
    }
}
