package io.resalign.engine.model.proposal;

import java.util.Arrays;

/**
 * Holds what the user tells the recogniser besides the weights: one sample's shape (no batch axis)
 * and, for a ViT, the attention heads, which no tensor shape reveals (null: take the torchvision
 * variant's when the sizes match one).
 */
public record ProposalRequest(long[] inputShape, Integer numHeads) {
    /** Returns the number of values in one sample. */
    long inputSize() {
        return Arrays.stream(inputShape).reduce(1, (a, b) -> a * b);
    }

    /** Returns the input shape as the command line writes it, {@code 3,224,224}. */
    String inputShapeText() {
        return String.join(",", Arrays.stream(inputShape).mapToObj(Long::toString).toArray(String[]::new));
    }
}
