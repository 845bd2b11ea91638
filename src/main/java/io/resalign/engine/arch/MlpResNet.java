package io.resalign.engine.arch;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.resalign.engine.model.ModelManifest;
import io.resalign.engine.model.NamedTensors;
import io.resalign.engine.nn.BatchNorm;
import io.resalign.engine.nn.Linear;
import io.resalign.engine.nn.Preprocessing;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Holds the fully-connected ResNet of Li &amp; Papyan ({@code resnet-mlp}, docs/models.md):
 * stem {@code relu([bn](Linear(in, d)))}, L blocks {@code phi(s h + F(h))}, head Linear(d, C).
 */
public final class MlpResNet implements ResidualNetwork {
    static final Set<String> HYPERPARAMETERS = Set.of("width", "depth", "batch_norm", "skip", "post_activation", "bn_eps");

    private final ModelManifest manifest;
    private final NDManager manager;
    private final Preprocessing preprocessing;
    private final Linear stem;
    private final BatchNorm stemBn;
    private final List<ResidualBlock> blocks;
    private final Linear head;
    private final long inFeatures;

    private MlpResNet(ModelManifest manifest, NDManager manager, Preprocessing preprocessing, Linear stem, BatchNorm stemBn,
            List<ResidualBlock> blocks, Linear head) {
        this.manifest = manifest;
        this.manager = manager;
        this.preprocessing = preprocessing;
        this.stem = stem;
        this.stemBn = stemBn;
        this.blocks = List.copyOf(blocks);
        this.head = head;
        this.inFeatures = manifest.input().size();
    }

    /**
     * Builds the network from a manifest and its tensors.
     *
     * @param manifest the manifest ({@code architecture: resnet-mlp})
     * @param tensors the weights, bound strictly by name and shape
     * @param manager the manager that owns the weights from now on
     * @return the network
     * @throws IOException when hyper-parameters or tensors do not match
     */
    static MlpResNet build(ModelManifest manifest, NamedTensors tensors, NDManager manager) throws IOException {
        ModelManifest.Hyperparameters hp = manifest.hyperparameters();
        hp.requireOnly(HYPERPARAMETERS, "resnet-mlp");
        int d = hp.getInt("width", null);
        int depth = hp.getInt("depth", null);
        boolean bn = hp.getBoolean("batch_norm", true);
        boolean skip = hp.getBoolean("skip", true);
        boolean relu = hp.getChoice("post_activation", "identity", Set.of("identity", "relu")).equals("relu");
        double eps = hp.getDouble("bn_eps", 1e-5);
        long in = manifest.input().size();
        int classes = manifest.numClasses();
        Shape vector = new Shape(d);
        Linear stem = Linear.load(tensors, "stem", d, in);
        BatchNorm stemBn = bn ? BatchNorm.load(tensors, "stem_bn", d, eps, vector) : null;
        List<ResidualBlock> blocks = new ArrayList<>();
        for (int l = 0; l < depth; l++) {
            String p = "blocks." + l;
            Linear fc1 = Linear.load(tensors, p + ".fc1", d, d);
            BatchNorm bn1 = bn ? BatchNorm.load(tensors, p + ".bn1", d, eps, vector) : null;
            Linear fc2 = Linear.load(tensors, p + ".fc2", d, d);
            BatchNorm bn2 = bn ? BatchNorm.load(tensors, p + ".bn2", d, eps, vector) : null;
            blocks.add(new MlpBlock(Integer.toString(l), d, fc1, bn1, fc2, bn2, skip, relu, manager));
        }
        Linear head = Linear.load(tensors, "head", classes, d);
        tensors.finish();
        return new MlpResNet(manifest, manager, new Preprocessing(manifest.input(), manager), stem, stemBn, blocks, head);
    }

    @Override
    public ModelManifest manifest() {
        return manifest;
    }

    @Override
    public Device device() {
        return manager.getDevice();
    }

    @Override
    public NDArray stem(NDArray input) {
        NDArray x = preprocessing.apply(input).reshape(input.getShape().get(0), inFeatures);
        NDArray z = stem.forward(x);
        return Activation.relu(stemBn == null ? z : stemBn.forward(z));
    }

    @Override
    public List<ResidualBlock> blocks() {
        return blocks;
    }

    @Override
    public NDArray head(NDArray last) {
        return head.forward(last);
    }

    @Override
    public void close() {
        manager.close();
    }
}
