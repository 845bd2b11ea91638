package io.resalign.engine.model.proposal;

import io.resalign.engine.model.TorchvisionVariants;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Recognises torchvision's VisionTransformer ({@code vit}, docs/models.md): hidden_dim, channels
 * and patch_size from {@code conv_proj.weight} (D, C, p, p), image_size from the N + 1 positions
 * of {@code encoder.pos_embedding}, num_layers from the {@code encoder_layer_{i}} that exist,
 * mlp_dim from the first layer's {@code mlp.0.weight}, C from {@code heads.head.weight}. The
 * attention heads change no shape: they come from the request, else from the torchvision variant
 * of the same sizes, else the proposal is refused with a message that asks for them.
 */
final class VitFamily {
    static final String ARCHITECTURE = "vit";
    private static final String NAMES = "class_token, conv_proj, encoder.pos_embedding, "
            + "encoder.layers.encoder_layer_{i}.ln_1/self_attention/ln_2/mlp.0/mlp.3, encoder.ln, heads.head";

    private VitFamily() {}

    /** Returns how well the file is a torchvision VisionTransformer, with the proposal when every tensor fits. */
    static Fit fit(TensorShapes file, ProposalRequest request) {
        long[] proj = file.shape("conv_proj.weight");
        if (proj == null || proj.length != 4 || proj[2] != proj[3]) {
            return Fit.misfit(ARCHITECTURE, NAMES, null, new Misfit("conv_proj.weight", proj, "shape [hidden_dim, channels, p, p]"));
        }
        long hidden = proj[0];
        long patch = proj[2];
        long[] pos = file.shape("encoder.pos_embedding");
        long positions = pos != null && pos.length == 3 ? pos[1] : -1;
        long grid = positions > 1 ? Math.round(Math.sqrt(positions - 1)) : -1;
        long imageSize = grid * patch;
        int layers = file.countFromZero(i -> "encoder.layers.encoder_layer_" + i + ".ln_1.weight");
        long mlp = file.dim("encoder.layers.encoder_layer_0.mlp.0.weight", 0);
        long classes = file.dim("heads.head.weight", 0);

        ExpectedTensors expected = new ExpectedTensors();
        expected.add("class_token", 1, 1, hidden);
        expected.add("conv_proj.weight", hidden, proj[1], patch, patch).add("conv_proj.bias", hidden);
        expected.add("encoder.pos_embedding", 1, grid * grid + 1, hidden);
        List<Proposal.Block> blocks = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            String p = "encoder.layers.encoder_layer_" + i;
            expected.add(p + ".ln_1.weight", hidden).add(p + ".ln_1.bias", hidden);
            expected.add(p + ".self_attention.in_proj_weight", 3 * hidden, hidden).add(p + ".self_attention.in_proj_bias", 3 * hidden);
            expected.linear(p + ".self_attention.out_proj", hidden, hidden);
            expected.add(p + ".ln_2.weight", hidden).add(p + ".ln_2.bias", hidden);
            expected.linear(p + ".mlp.0", mlp, hidden).linear(p + ".mlp.3", hidden, mlp);
            // the class-token Jacobian of each branch is D x D (docs/models.md, vit)
            blocks.add(new Proposal.Block("encoder_layer_" + i + ".attention", "encoder", hidden, hidden));
            blocks.add(new Proposal.Block("encoder_layer_" + i + ".mlp", "encoder", hidden, hidden));
        }
        expected.add("encoder.ln.weight", hidden).add("encoder.ln.bias", hidden);
        expected.linear("heads.head", classes, hidden);

        if (grid < 1 || grid * grid != positions - 1) {
            return Fit.misfit(ARCHITECTURE, NAMES, expected, new Misfit("encoder.pos_embedding", pos,
                    "shape [1, N + 1, " + hidden + "] with N = (image_size / " + patch + ")^2 patches, a square number"));
        }
        long[] input = request.inputShape();
        if (input.length != 3 || input[0] != proj[1] || input[1] != imageSize || input[2] != imageSize) {
            return Fit.misfit(ARCHITECTURE, NAMES, expected, new Misfit("conv_proj.weight", proj, "shape [" + hidden + ", "
                    + (input.length == 3 ? input[0] : "channels") + ", " + patch + ", " + patch + "] and --input-shape "
                    + proj[1] + "," + imageSize + "," + imageSize + " (image_size " + imageSize + " from encoder.pos_embedding's "
                    + positions + " positions), got --input-shape " + request.inputShapeText()));
        }
        if (layers == 0) {
            return Fit.misfit(ARCHITECTURE, NAMES, expected, new Misfit("encoder.layers.encoder_layer_0.ln_1.weight", null,
                    "shape [" + hidden + "] (at least one encoder layer)"));
        }
        Fit fit = Fit.compare(ARCHITECTURE, NAMES, expected, file, null);
        if (fit.misfit() != null) {
            return fit;
        }
        Map.Entry<String, TorchvisionVariants.Vit> variant = KnownVariants.vit(patch, layers, hidden, mlp);
        Integer heads = request.numHeads() != null ? request.numHeads() : variant != null ? variant.getValue().numHeads() : null;
        if (heads == null) {
            return new Fit(ARCHITECTURE, NAMES, expected, null, "a vit of hidden_dim " + hidden + ", " + layers + " layers, patch_size "
                    + patch + " and mlp_dim " + mlp + " is no torchvision variant (vit_b_16, vit_b_32, vit_l_16), and num_heads"
                    + " changes no tensor shape: give it with --num-heads H (H divides " + hidden + ")", null);
        }
        if (heads < 1 || hidden % heads != 0) {
            return new Fit(ARCHITECTURE, NAMES, expected, null, "--num-heads " + heads + " does not divide hidden_dim " + hidden
                    + " (conv_proj.weight's first axis)", null);
        }
        ObjectNode hp = JsonNodeFactory.instance.objectNode();
        hp.put("image_size", imageSize).put("patch_size", patch).put("num_layers", layers).put("num_heads", heads)
                .put("hidden_dim", hidden).put("mlp_dim", mlp);
        boolean isVariant = variant != null && variant.getValue().numHeads() == heads;
        if (isVariant) {
            hp.put("variant", variant.getKey());
        }
        List<String> assumed = request.numHeads() == null
                ? List.of("num_heads " + heads + " (" + variant.getKey() + "'s; no tensor shape shows the heads: --num-heads overrides)")
                : List.of();
        return new Fit(ARCHITECTURE, NAMES, expected, null, null,
                new Proposal(ARCHITECTURE, hp, classes, "heads.head.weight", blocks, assumed));
    }
}
