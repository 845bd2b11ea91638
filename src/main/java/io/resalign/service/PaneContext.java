package io.resalign.service;

import io.resalign.drift.HoppingCountWindows;
import java.util.List;
import java.util.OptionalInt;

/**
 * Holds what the service keeps per window pane beside the samples' features: the ordinal of the
 * pane's first sample and the pane's {@link OutputCounts}. It is the pane payload of the drift
 * package's {@link HoppingCountWindows} ({@link #PAYLOAD}); merged over a window's panes it gives the
 * window's first sample and output counts, which its report names.
 */
final class PaneContext {
    /** Makes empty contexts and merges a window's: the first pane's first sample, the counts summed. */
    static final HoppingCountWindows.Payload<PaneContext> PAYLOAD = new HoppingCountWindows.Payload<>() {
        @Override
        public PaneContext empty() {
            return new PaneContext(-1, new OutputCounts());
        }

        @Override
        public PaneContext merge(List<PaneContext> panes) {
            OutputCounts counts = new OutputCounts();
            for (PaneContext p : panes) {
                counts.add(p.counts);
            }
            return new PaneContext(panes.get(0).firstSample, counts);
        }
    };

    private long firstSample;
    private final OutputCounts counts;

    /** Creates the context of a pane whose first sample is {@code firstSample} (-1: the pane is empty). */
    PaneContext(long firstSample, OutputCounts counts) {
        this.firstSample = firstSample;
        this.counts = counts;
    }

    /** Records sample number {@code ordinal}: the engine's argmax and what its record said. */
    void add(long ordinal, int predicted, OptionalInt served, OptionalInt label) {
        if (firstSample < 0) { // an empty pane: ordinals start at 0, and only an empty pane holds -1
            firstSample = ordinal;
        }
        counts.add(predicted, served, label);
    }

    /** Returns the ordinal of the first sample, -1 while the pane is empty. */
    long firstSample() {
        return firstSample;
    }

    /** Returns the output counts. */
    OutputCounts counts() {
        return counts;
    }
}
