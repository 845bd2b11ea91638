package io.resalign.cli;

import io.resalign.engine.metrics.SampleMetrics;
import java.io.IOException;

/**
 * Writes per-sample metrics as they come, one sample at a time; {@link #flush()} after each batch
 * makes the results visible without holding them in memory.
 */
public interface MetricsWriter extends AutoCloseable {

    /**
     * Writes one sample.
     *
     * @param sample the sample's metrics
     * @param label the sample's label, or {@code null} when the input has none
     * @throws IOException if the output cannot be written
     */
    void write(SampleMetrics sample, Integer label) throws IOException;

    /** Pushes everything written so far to the underlying output. */
    void flush() throws IOException;

    /** Flushes and closes the output (an output the writer does not own is only flushed). */
    @Override
    void close() throws IOException;
}
