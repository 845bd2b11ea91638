package io.resalign.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Binds the tensors of a weights file to an architecture's parameters, strictly.
 *
 * <p>Each architecture asks for its parameters by name and shape through {@link #take}; a missing
 * tensor or a wrong shape is collected, and {@link #finish} fails with every problem at once and
 * with the tensors the architecture never asked for, so nothing is silently ignored. BatchNorm's
 * {@code num_batches_tracked} is the one tolerated extra: PyTorch bookkeeping with no effect in
 * inference.
 */
public final class NamedTensors {

    private final Path source;
    private final Map<String, Safetensors.Tensor> tensors;
    private final NDManager manager;
    private final DataType dataType;
    private final Map<String, Boolean> used = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();

    /**
     * Creates a binder over tensors read from {@code source}.
     *
     * @param source the file the tensors came from, for messages
     * @param tensors the tensors by name
     * @param manager the manager that will own the created arrays (the model's)
     * @param dataType the precision of the created arrays (FLOAT32 or FLOAT64)
     */
    public NamedTensors(Path source, Map<String, Safetensors.Tensor> tensors, NDManager manager, DataType dataType) {
        this.source = source;
        this.tensors = tensors;
        this.manager = manager;
        this.dataType = dataType;
        tensors.keySet().forEach(k -> used.put(k, false));
    }

    /**
     * Returns the tensor of that name as an NDArray on the manager's device, checking its shape.
     *
     * @param name the PyTorch state_dict name
     * @param shape the expected shape
     * @return the array, or a zero placeholder when missing or wrong (the failure comes from {@link #finish})
     */
    public NDArray take(String name, long... shape) {
        Safetensors.Tensor t = tensors.get(name);
        if (t == null) {
            problems.add("missing tensor '" + name + "', expected shape " + Arrays.toString(shape));
            return manager.zeros(new Shape(shape));
        }
        used.put(name, true);
        if (t.values() == null) {
            problems.add("tensor '" + name + "' has dtype " + t.dtype() + ", expected F32 or F64 of shape " + Arrays.toString(shape));
            return manager.zeros(new Shape(shape));
        }
        if (!Arrays.equals(t.shape(), shape)) {
            problems.add("tensor '" + name + "' has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
            return manager.zeros(new Shape(shape));
        }
        NDArray a = manager.create(t.values(), new Shape(shape));
        if (dataType != DataType.FLOAT32) {
            a = a.toType(dataType, false);
        }
        a.setName(name);
        return a;
    }

    /**
     * Fails when any tensor was missing or mis-shaped, or when the file holds tensors the
     * architecture did not use.
     *
     * @throws IOException listing every problem, one per line
     */
    public void finish() throws IOException {
        TreeSet<String> unexpected = new TreeSet<>();
        used.forEach((name, wasUsed) -> {
            if (!wasUsed && !name.endsWith("num_batches_tracked")) {
                unexpected.add(name);
            }
        });
        List<String> all = new ArrayList<>(problems);
        for (String name : unexpected) {
            Safetensors.Tensor t = tensors.get(name);
            all.add("unexpected tensor '" + name + "' of shape " + Arrays.toString(t.shape())
                    + " (the architecture has no such parameter; check the manifest's hyper-parameters)");
        }
        if (!all.isEmpty()) {
            throw new IOException(source + " does not match the manifest's architecture:\n  " + String.join("\n  ", all));
        }
    }
}
