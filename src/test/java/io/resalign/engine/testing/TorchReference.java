package io.resalign.engine.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.resalign.engine.Trajectory;
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

    /** Returns {J v error, J^T u error} of one block's class-token Jacobian against torch's jvp and vjp. */
    public static double[] vitProductErrors(ResidualNetwork network, Trajectory t, Map<String, NDArray> ref, String name, DataType type) {
        List<String> names = network.blocks().stream().map(ResidualBlock::name).toList();
        assertTrue(names.contains(name), name + " in " + names);
        int l = names.indexOf(name);
        JacobianOperator op = network.blocks().get(l).linearize(t.states().get(l));
        double jv = relativeError(op.apply(ref.get(name + ".v").toType(type, false)), ref.get(name + ".jv"));
        double jtu = relativeError(op.applyTranspose(ref.get(name + ".u").toType(type, false)), ref.get(name + ".jtu"));
        return new double[] {jv, jtu};
    }
}
