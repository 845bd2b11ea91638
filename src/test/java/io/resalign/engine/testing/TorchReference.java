package io.resalign.engine.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.resalign.engine.Trajectory;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.jacobian.JacobianOperator;
import io.resalign.engine.model.ModelManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the float64 results the torchvision reference scripts wrote (reference.safetensors beside
 * the model) and compares the engine's arrays with them, for the Bottleneck and the ViT tests.
 */
public final class TorchReference {
    private TorchReference() {}

    /** Writes a {@code vit} manifest with the given hyper-parameters JSON object, watching every block. */
    public static void writeVitManifest(Path model, String hyperparameters, int channels, int size, int classes) throws IOException {
        StringBuilder names = new StringBuilder();
        for (int c = 0; c < classes; c++) {
            names.append(c == 0 ? "" : ",").append("\"class").append(c).append('"');
        }
        Files.writeString(model.resolve(ModelManifest.FILE), "{\"name\": \"torchvision-vit\", \"architecture\": \"vit\","
                + " \"hyperparameters\": " + hyperparameters + ", \"input\": {\"shape\": [" + channels + ", " + size + ", " + size + "]},"
                + " \"classes\": [" + names + "], \"watch\": [\"all\"]}");
    }

    /** Returns the float64 results of torch, by name. */
    public static Map<String, NDArray> read(NDManager manager, Path model) throws IOException {
        NDList list = NDList.decode(manager, Files.readAllBytes(model.resolve("reference.safetensors")));
        Map<String, NDArray> byName = new HashMap<>();
        for (NDArray a : list) {
            assertEquals(DataType.FLOAT64, a.getDataType(), a.getName());
            byName.put(a.getName(), a);
        }
        return byName;
    }

    /** Returns ||actual - expected|| / ||expected||, in float64. */
    public static double relativeError(NDArray actual, NDArray expected) {
        NDArray e = expected.toType(DataType.FLOAT64, false);
        return actual.toType(DataType.FLOAT64, false).sub(e).norm().getDouble() / e.norm().getDouble();
    }

    /**
     * Loads a ViT model directory in one precision, runs the reference's input through it and
     * asserts J v and J^T u of every named block against torch's, printing the measured errors.
     *
     * @param suffix the reference's key suffix: "" for class-token products, ".seq" for full-sequence ones
     */
    public static void assertVitProducts(Path model, List<String> blocks, String suffix, DataType type, double tolerance)
            throws IOException {
        try (ResidualNetwork network = Architectures.load(model, Device.cpu(), type);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> ref = read(m, model);
            Trajectory t = Trajectory.trace(network, ref.get("input").toType(type, false));
            for (String name : blocks) {
                double[] errors = vitProductErrors(network, t, ref, name, name + suffix, type);
                System.out.printf("vit%s %s %s: J v %.3g, J^T u %.3g%n", suffix, name, type, errors[0], errors[1]);
                assertTrue(errors[0] <= tolerance, name + suffix + " " + type + ": J v vs torch jvp (float64) relative error " + errors[0]);
                assertTrue(errors[1] <= tolerance, name + suffix + " " + type + ": J^T u vs torch vjp (float64) relative error "
                        + errors[1]);
            }
        }
    }

    /** Returns {J v error, J^T u error} of one block's class-token Jacobian against torch's jvp and vjp. */
    public static double[] vitProductErrors(ResidualNetwork network, Trajectory t, Map<String, NDArray> ref, String name, DataType type) {
        return vitProductErrors(network, t, ref, name, name, type);
    }

    /**
     * Returns {J v error, J^T u error} of one block's Jacobian against torch's, the reference's
     * tangents and products under {@code key.v}, {@code key.jv}, {@code key.u}, {@code key.jtu}.
     */
    public static double[] vitProductErrors(ResidualNetwork network, Trajectory t, Map<String, NDArray> ref, String name, String key,
            DataType type) {
        List<String> names = network.blocks().stream().map(ResidualBlock::name).toList();
        assertTrue(names.contains(name), name + " in " + names);
        int l = names.indexOf(name);
        JacobianOperator op = network.blocks().get(l).linearize(t.states().get(l));
        double jv = relativeError(op.apply(ref.get(key + ".v").toType(type, false)), ref.get(key + ".jv"));
        double jtu = relativeError(op.applyTranspose(ref.get(key + ".u").toType(type, false)), ref.get(key + ".jtu"));
        return new double[] {jv, jtu};
    }
}
