package io.resalign.cli;

import io.resalign.engine.metrics.SampleMetrics;
import java.io.IOException;
import java.io.Writer;

/**
 * Writes per-sample metrics as they come, one sample at a time; {@link #flush()} after each batch
 * makes the results visible without holding them in memory.
 */
public abstract class MetricsWriter implements AutoCloseable {
    /** The output. */
    protected final Writer out;
    private final boolean owned;

    /**
     * Creates a writer on an output.
     *
     * @param out the output
     * @param owned whether {@link #close()} closes {@code out} (false for stdout)
     */
    protected MetricsWriter(Writer out, boolean owned) {
        this.out = out;
        this.owned = owned;
    }

    /**
     * Writes one sample.
     *
     * @param sample the sample's metrics
     * @param label the sample's label, or {@code null} when the input has none
     * @throws IOException if the output cannot be written
     */
    public abstract void write(SampleMetrics sample, Integer label) throws IOException;

    /** Pushes everything written so far to the underlying output. */
    public void flush() throws IOException {
        out.flush();
    }

    /** Flushes and closes the output (an output the writer does not own is only flushed). */
    @Override
    public void close() throws IOException {
        if (owned) {
            out.close();
        } else {
            out.flush();
        }
    }
}
