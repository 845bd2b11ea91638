package io.resalign.engine.arch;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.resalign.engine.model.ModelManifest;
import io.resalign.engine.model.NamedTensors;
import io.resalign.engine.model.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Loads model directories (manifest + safetensors) into the built-in architectures. */
public final class Architectures {

    /** The architecture names a manifest may give. */
    public static final List<String> NAMES = List.of("resnet-mlp", "resnet-conv", "vit");

    private Architectures() {}

    /**
     * Loads a model directory onto a device.
     *
     * @param directory the model directory
     * @param device the device for the weights
     * @return the network, owning its weights until closed
     * @throws IOException when the manifest or the weights are missing or do not match
     */
    public static ResidualNetwork load(Path directory, Device device) throws IOException {
        return load(directory, device, DataType.FLOAT32);
    }

    /**
     * Loads a model directory onto a device in a chosen precision (FLOAT64 serves as the reference
     * of float32 results in tests).
     *
     * @param directory the model directory
     * @param device the device for the weights
     * @param dataType FLOAT32 or FLOAT64
     * @return the network, owning its weights until closed
     * @throws IOException when the manifest or the weights are missing or do not match
     */
    public static ResidualNetwork load(Path directory, Device device, DataType dataType) throws IOException {
        ModelManifest manifest = ModelManifest.read(directory);
        Path weights = directory.resolve(manifest.weights());
        if (!Files.isRegularFile(weights)) {
            throw new IOException(directory + ": weights file '" + manifest.weights() + "' named by the manifest does not exist");
        }
        return build(manifest, weights, device, dataType);
    }

    /**
     * Builds a network from a parsed manifest and a weights file.
     *
     * @param manifest the manifest
     * @param weights the safetensors file
     * @param device the device for the weights
     * @param dataType FLOAT32 or FLOAT64
     * @return the network
     * @throws IOException when the tensors do not match the architecture
     */
    public static ResidualNetwork build(ModelManifest manifest, Path weights, Device device, DataType dataType) throws IOException {
        NDManager manager = NDManager.newBaseManager(device);
        manager.setName("model:" + manifest.name() + ":" + manifest.version());
        try {
            NamedTensors tensors = new NamedTensors(weights, Safetensors.read(weights), manager, dataType);
            ResidualNetwork network = switch (manifest.architecture()) {
                case "resnet-mlp" -> MlpResNet.build(manifest, tensors, manager);
                case "resnet-conv" -> ConvResNet.build(manifest, tensors, manager);
                case "vit" -> VisionTransformer.build(manifest, tensors, manager);
                default -> throw new IOException(manifest.name() + ": unknown architecture '" + manifest.architecture()
                        + "', expected one of " + NAMES);
            };
            // From here on the weights are read-only: any result that would attach to the model's
            // manager (a leak of one array per batch) fails loudly instead.
            manager.cap();
            return network;
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }
}
