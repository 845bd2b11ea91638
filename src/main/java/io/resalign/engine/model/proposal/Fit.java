package io.resalign.engine.model.proposal;

/**
 * Holds how well one architecture explains a file: the tensors it expects for the hyper-parameters
 * the file's anchor tensors imply, the first misfit (null when every tensor fits), a refusal when
 * everything fits but a hyper-parameter cannot be known, and the proposal when nothing is wrong.
 */
record Fit(String architecture, String names, ExpectedTensors expected, Misfit misfit, String refusal, Proposal proposal) {

    /** Returns a fit that failed at an anchor tensor, with what the architecture could still expect. */
    static Fit misfit(String architecture, String names, ExpectedTensors expected, Misfit misfit) {
        return new Fit(architecture, names, expected, misfit, null, null);
    }

    /** Compares the expected tensors with the file and returns the proposal or the first misfit. */
    static Fit compare(String architecture, String names, ExpectedTensors expected, TensorShapes file, Proposal proposal) {
        Misfit first = expected.firstMisfit(file, architecture).orElse(null);
        return new Fit(architecture, names, expected, first, null, first == null ? proposal : null);
    }

    /** Returns whether this architecture takes the file's tensor as it is. */
    boolean accepts(String name, long[] shape) {
        return !(misfit != null && misfit.name().equals(name)) && expected != null && expected.accepts(name, shape);
    }

    /** Returns what this architecture expected under a tensor name. */
    String expectationAt(String name) {
        if (misfit != null && misfit.name().equals(name)) {
            return misfit.expected();
        }
        long[] shape = expected == null ? null : expected.shape(name);
        return shape != null ? "shape " + ExpectedTensors.format(shape) : "no tensor of that name (its tensors: " + names + ")";
    }

    /** Returns how many of the file's tensors this architecture accepts (BatchNorm's tolerated counters included). */
    long accepted(TensorShapes file) {
        return file.names().stream().filter(n -> n.endsWith(".num_batches_tracked") || accepts(n, file.shape(n))).count();
    }
}
