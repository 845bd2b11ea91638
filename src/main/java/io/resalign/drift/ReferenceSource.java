package io.resalign.drift;

/** Says how a reference profile was made. */
public enum ReferenceSource {
    /** From the first N samples of the model version (or after a reset). */
    FIRST_SAMPLES,
    /** From a window an operator chose and pinned. */
    PINNED_WINDOW
}
