package io.resalign.engine.arch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.resalign.engine.model.ModelManifest;
import io.resalign.engine.model.TorchvisionVariants;
import io.resalign.engine.model.NamedTensors;
import io.resalign.engine.nn.LayerNorm;
import io.resalign.engine.nn.Linear;
import io.resalign.engine.nn.Preprocessing;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Holds torchvision 0.14's {@code VisionTransformer} ({@code vit}, docs/models.md), loading its
 * {@code state_dict} names unchanged, as a residual network: the stem is the patch embedding with
 * the class token and position embedding (h_0, a (N+1, D) token sequence), each encoder layer is
 * two residual blocks ({@code encoder_layer_i.attention}, {@code encoder_layer_i.mlp}), the head is
 * the final LayerNorm of the class token and {@code heads.head}.
 *
 * <p>{@code conv_proj} (kernel = stride = patch size) is computed as what it is, a matrix product
 * of non-overlapping patches: exact, and no convolution runs (the oneDNN float32 conv trap of
 * docs/engine.md cannot arise).
 */
public final class VisionTransformer implements ResidualNetwork {
    static final Set<String> HYPERPARAMETERS = Set.of("variant", "image_size", "patch_size", "num_layers", "num_heads", "hidden_dim",
            "mlp_dim", "jacobian");
    /** The Residual Jacobian of every block: the class token's (D x D) or the whole sequence's. */
    static final Set<String> JACOBIANS = Set.of("class_token", "sequence");
    /** torchvision's norm_layer is {@code partial(nn.LayerNorm, eps=1e-6)} for every LayerNorm. */
    static final double LN_EPS = 1e-6;

    private final ModelManifest manifest;
    private final NDManager manager;
    private final Preprocessing preprocessing;
    private final long patch;
    private final NDArray patchWeightT;
    private final NDArray patchBias;
    private final NDArray classToken;
    private final NDArray positions;
    private final List<ResidualBlock> blocks;
    private final LayerNorm finalNorm;
    private final Linear head;
    private final boolean sequence;

    private VisionTransformer(ModelManifest manifest, NDManager manager, boolean sequence, long patch, NDArray patchWeight,
            NDArray patchBias, NDArray classToken, NDArray positions, List<ResidualBlock> blocks, LayerNorm finalNorm, Linear head) {
        this.manifest = manifest;
        this.manager = manager;
        this.preprocessing = new Preprocessing(manifest.input(), manager);
        this.patch = patch;
        this.patchWeightT = patchWeight.reshape(patchWeight.getShape().get(0), -1).transpose();
        this.patchBias = patchBias;
        this.classToken = classToken;
        this.positions = positions;
        this.blocks = List.copyOf(blocks);
        this.finalNorm = finalNorm;
        this.head = head;
        this.sequence = sequence;
    }

    static VisionTransformer build(ModelManifest manifest, NamedTensors tensors, NDManager manager) throws IOException {
        ModelManifest.Hyperparameters hp = manifest.hyperparameters();
        hp.requireOnly(HYPERPARAMETERS, "vit");
        TorchvisionVariants.Vit v = hp.has("variant") ? TorchvisionVariants.VITS.get(hp.getChoice("variant", null, TorchvisionVariants.VITS.keySet())) : null;
        long[] input = manifest.input().shape();
        if (input.length != 3 || input[1] != input[2]) {
            throw new IOException(manifest.name() + ": vit needs input.shape [channels, image_size, image_size], got "
                    + Arrays.toString(input));
        }
        int imageSize = hp.getInt("image_size", v == null ? (int) input[1] : v.imageSize());
        int patch = hp.getInt("patch_size", v == null ? null : v.patchSize());
        int layers = hp.getInt("num_layers", v == null ? null : v.numLayers());
        int heads = hp.getInt("num_heads", v == null ? null : v.numHeads());
        int dim = hp.getInt("hidden_dim", v == null ? null : v.hiddenDim());
        int mlpDim = hp.getInt("mlp_dim", v == null ? null : v.mlpDim());
        boolean sequence = hp.getChoice("jacobian", "class_token", JACOBIANS).equals("sequence");
        if (imageSize != input[1]) {
            throw new IOException(manifest.name() + ": image_size " + imageSize + " but input.shape " + Arrays.toString(input));
        }
        if (patch < 1 || imageSize % patch != 0) {
            throw new IOException(manifest.name() + ": image_size " + imageSize + " is not a multiple of patch_size " + patch);
        }
        if (heads < 1 || dim % heads != 0) {
            throw new IOException(manifest.name() + ": hidden_dim " + dim + " is not a multiple of num_heads " + heads);
        }
        long side = imageSize / patch;
        long tokens = side * side + 1;
        NDArray patchWeight = tensors.take("conv_proj.weight", dim, input[0], patch, patch);
        NDArray patchBias = tensors.take("conv_proj.bias", dim);
        NDArray classToken = tensors.take("class_token", 1, 1, dim);
        NDArray positions = tensors.take("encoder.pos_embedding", 1, tokens, dim);
        List<ResidualBlock> blocks = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            String layer = "encoder_layer_" + i;
            String prefix = "encoder.layers." + layer;
            blocks.add(EncoderAttentionBlock.load(tensors, prefix, layer + ".attention", tokens, dim, heads, LN_EPS, sequence));
            blocks.add(EncoderMlpBlock.load(tensors, prefix, layer + ".mlp", tokens, dim, mlpDim, LN_EPS, sequence));
        }
        LayerNorm finalNorm = LayerNorm.load(tensors, "encoder.ln", dim, LN_EPS);
        Linear head = Linear.load(tensors, "heads.head", manifest.numClasses(), dim);
        tensors.finish();
        return new VisionTransformer(manifest, manager, sequence, patch, patchWeight, patchBias, classToken, positions, blocks,
                finalNorm, head);
    }

    @Override
    public ModelManifest manifest() {
        return manifest;
    }

    @Override
    public Device device() {
        return manager.getDevice();
    }

    /** Returns h_0 = [class_token; patches W^T + b] + pos_embedding, (B, N+1, D). */
    @Override
    public NDArray stem(NDArray input) {
        NDArray x = preprocessing.apply(input);
        Shape s = x.getShape();
        long batch = s.get(0);
        long side = s.get(2) / patch;
        // (B, C, gh, p, gw, p) -> (B, gh, gw, C, p, p): conv_proj's weight order, tokens row-major as torchvision's flatten
        NDArray patches = x.reshape(batch, s.get(1), side, patch, side, patch).transpose(0, 2, 4, 1, 3, 5)
                .reshape(batch, side * side, s.get(1) * patch * patch);
        NDArray embedded = patches.matMul(patchWeightT).add(patchBias);
        NDArray cls = embedded.get(":, 0:1, :").zerosLike().add(classToken);
        return NDArrays.concat(new NDList(cls, embedded), 1).add(positions);
    }

    @Override
    public List<ResidualBlock> blocks() {
        return blocks;
    }

    /** Returns {@code heads.head(encoder.ln(h_L[:, 0]))}. */
    @Override
    public NDArray head(NDArray last) {
        return head.forward(finalNorm.forward(last.get(":, 0, :")));
    }

    /**
     * Returns RA1's trajectory point on a ViT: the class token's residual stream h[:, 0] (B, D) with
     * class-token Jacobians, the whole sequence with full-sequence ones, so that the trajectory and
     * the Jacobians describe the same vector.
     */
    @Override
    public NDArray trajectoryPoint(NDArray state) {
        return sequence ? state : state.get(":, 0, :");
    }

    @Override
    public void close() {
        manager.close();
    }
}
