package io.resalign.engine.model.proposal;

import java.util.Arrays;

/**
 * Describes one tensor that does not fit an architecture: its name, its shape in the file (null
 * when the file lacks it) and what the architecture expected under that name.
 */
record Misfit(String name, long[] actual, String expected) {
    /** Returns the tensor as the file has it: {@code 'name' [shape]}, or that it is missing. */
    String describeActual() {
        return actual == null ? "missing tensor '" + name + "'" : "tensor '" + name + "' of shape " + Arrays.toString(actual);
    }
}
