package io.resalign.engine.model.proposal;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Holds the tensors one architecture with given hyper-parameters has, by name and shape in the
 * architecture's own order, and compares them with a file: the first misfit in that order (a
 * missing or mis-shaped tensor, then any the architecture has no use for) is what a user must fix.
 */
final class ExpectedTensors {
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    /** Adds a tensor. */
    ExpectedTensors add(String name, long... shape) {
        shapes.put(name, shape);
        return this;
    }

    /** Adds PyTorch BatchNorm's four tensors of {@code channels} each (num_batches_tracked is tolerated, not expected). */
    ExpectedTensors batchNorm(String prefix, long channels) {
        for (String suffix : new String[] {"weight", "bias", "running_mean", "running_var"}) {
            add(prefix + "." + suffix, channels);
        }
        return this;
    }

    /** Adds a Linear layer's weight (out, in) and bias (out). */
    ExpectedTensors linear(String prefix, long out, long in) {
        return add(prefix + ".weight", out, in).add(prefix + ".bias", out);
    }

    /** Returns the expected shape of a tensor, or null when the architecture has no tensor of that name. */
    long[] shape(String name) {
        return shapes.get(name);
    }

    /** Formats a shape, an axis the file did not reveal (negative) as {@code ?}. */
    static String format(long[] shape) {
        return Arrays.toString(Arrays.stream(shape).mapToObj(s -> s < 0 ? "?" : Long.toString(s)).toArray());
    }

    /** Returns whether the file's tensor of that name has exactly the expected shape. */
    boolean accepts(String name, long[] shape) {
        long[] expected = shapes.get(name);
        return expected != null && Arrays.equals(expected, shape);
    }

    /** Returns the first tensor that does not fit, in the architecture's order, then the file's. */
    Optional<Misfit> firstMisfit(TensorShapes file, String architecture) {
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long[] actual = file.shape(e.getKey());
            if (actual == null || !Arrays.equals(actual, e.getValue())) {
                return Optional.of(new Misfit(e.getKey(), actual, "shape " + format(e.getValue())));
            }
        }
        for (String name : file.names()) {
            if (!shapes.containsKey(name) && !name.endsWith(".num_batches_tracked")) {
                return Optional.of(new Misfit(name, file.shape(name), "no tensor of that name in this " + architecture));
            }
        }
        return Optional.empty();
    }
}
