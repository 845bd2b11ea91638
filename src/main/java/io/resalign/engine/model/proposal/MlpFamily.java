package io.resalign.engine.model.proposal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Recognises the paper's fully-connected ResNet ({@code resnet-mlp}, docs/models.md): the width
 * and the input count from {@code stem.weight}, the depth from the {@code blocks.{l}} that exist,
 * BatchNorm from {@code stem_bn.weight}, C from {@code head.weight}. Skips and the
 * post-activation leave no trace in the weights, so they are proposed at their defaults and said so.
 */
final class MlpFamily {
    static final String ARCHITECTURE = "resnet-mlp";
    private static final String NAMES = "stem, stem_bn, blocks.{l}.fc1/bn1/fc2/bn2, head";

    private MlpFamily() {}

    /** Returns how well the file is a resnet-mlp, with the proposal when every tensor fits. */
    static Fit fit(TensorShapes file, ProposalRequest request) {
        long[] stem = file.shape("stem.weight");
        ExpectedTensors expected = new ExpectedTensors();
        if (stem == null || stem.length != 2) {
            return Fit.misfit(ARCHITECTURE, NAMES, null, new Misfit("stem.weight", stem, "shape [width, inputs] (the stem Linear)"));
        }
        long width = stem[0];
        long inputs = request.inputSize();
        boolean batchNorm = file.shape("stem_bn.weight") != null;
        int depth = file.countFromZero(l -> "blocks." + l + ".fc1.weight");
        long classes = file.dim("head.weight", 0);
        expected.linear("stem", width, inputs);
        if (batchNorm) {
            expected.batchNorm("stem_bn", width);
        }
        List<Proposal.Block> blocks = new ArrayList<>();
        for (int l = 0; l < depth; l++) {
            String p = "blocks." + l;
            expected.linear(p + ".fc1", width, width);
            if (batchNorm) {
                expected.batchNorm(p + ".bn1", width);
            }
            expected.linear(p + ".fc2", width, width);
            if (batchNorm) {
                expected.batchNorm(p + ".bn2", width);
            }
            blocks.add(new Proposal.Block(Integer.toString(l), "blocks", width, width));
        }
        expected.linear("head", classes, width);
        if (stem[1] != inputs) {
            return Fit.misfit(ARCHITECTURE, NAMES, expected, new Misfit("stem.weight", stem, "shape [" + width + ", " + inputs
                    + "] (--input-shape " + request.inputShapeText() + " gives " + inputs + " inputs)"));
        }
        if (depth == 0) {
            return Fit.misfit(ARCHITECTURE, NAMES, expected, new Misfit("blocks.0.fc1.weight", null,
                    "shape [" + width + ", " + width + "] (at least one residual block)"));
        }
        ObjectNode hp = JsonNodeFactory.instance.objectNode();
        hp.put("width", width).put("depth", depth).put("batch_norm", batchNorm);
        List<String> assumed = List.of("skip true (skip connections leave no trace in the weights)",
                "post_activation identity (no trace in the weights)", "bn_eps 1e-5 (PyTorch's default)");
        return Fit.compare(ARCHITECTURE, NAMES, expected, file,
                new Proposal(ARCHITECTURE, hp, classes, "head.weight", blocks, batchNorm ? assumed : assumed.subList(0, 2)));
    }
}
