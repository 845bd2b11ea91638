package io.resalign.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.FeatureSchema;
import io.resalign.drift.FeatureVector;
import io.resalign.drift.HoppingCountWindows;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The service's windows: the drift package's hopping windows with a {@link PaneContext} per pane,
 * so a closed window knows the ordinal of its first sample and the output counts of its samples.
 */
class PaneContextTest {
    private static final FeatureSchema SCHEMA = FeatureSchema.of(List.of("i"));

    private static HoppingCountWindows<PaneContext> windows(int size, int advance) {
        return new HoppingCountWindows<>(SCHEMA, size, advance, PaneContext.PAYLOAD);
    }

    /** Adds sample {@code ordinal}, predicted class 1; served as 1 when even, labelled 1 when divisible by 3. */
    private static java.util.Optional<HoppingCountWindows.Window<PaneContext>> add(HoppingCountWindows<PaneContext> windows,
            long ordinal) {
        OptionalInt served = ordinal % 2 == 0 ? OptionalInt.of(1) : OptionalInt.empty();
        OptionalInt label = ordinal % 3 == 0 ? OptionalInt.of(1) : OptionalInt.of(2);
        return windows.add(new FeatureVector(SCHEMA, new double[] {ordinal}), 1_000 + ordinal,
                pane -> pane.add(ordinal, 1, served, label));
    }

    @Test
    void shouldNameTheFirstSampleOfTheOldestPaneAndSumTheCountsWhenAWindowCloses() {
        HoppingCountWindows<PaneContext> windows = windows(6, 3);
        List<HoppingCountWindows.Window<PaneContext>> closed = new ArrayList<>();

        for (long ordinal = 40; ordinal < 52; ordinal++) { // ordinals need not start at 0 (the reference took the first)
            add(windows, ordinal).ifPresent(closed::add);
        }

        assertEquals(List.of(40L, 43L, 46L), closed.stream().map(w -> w.payload().firstSample()).toList());
        assertEquals(new AlignmentReport.OutputContext(3, 1.0, 6, 2 / 6.0, 1 / 3.0), closed.get(0).payload().counts().toContext(),
                "samples 40..45: 40, 42, 44 served and agreeing; all labelled, 42 and 45 right; of the served, 42 labelled as served");
        assertEquals(43, closed.get(1).samples().value(0, 0), 0);
    }

    @Test
    void shouldKeepAPanesFirstOrdinalWhenLaterSamplesJoinIt() {
        HoppingCountWindows<PaneContext> windows = windows(4, 2);
        assertEquals(-1, windows.currentPane().payload().firstSample(), "an empty pane names no sample");

        add(windows, 7);
        add(windows, 8);
        add(windows, 9);

        assertEquals(7, windows.fullPanes().get(0).payload().firstSample());
        assertEquals(9, windows.currentPane().payload().firstSample());
        windows.clear();
        assertEquals(-1, windows.currentPane().payload().firstSample(), "cleared");
        assertTrue(windows.fullPanes().isEmpty());
    }
}
