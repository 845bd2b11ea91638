package io.resalign.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HoppingCountWindowsTest {
    private static final FeatureSchema SCHEMA = FeatureSchema.of(List.of("i"));
    /** A payload that lists the ids noted in a pane; a window's is its panes' lists joined. */
    private static final HoppingCountWindows.Payload<List<Integer>> IDS = new HoppingCountWindows.Payload<>() {
        @Override
        public List<Integer> empty() {
            return new ArrayList<>();
        }

        @Override
        public List<Integer> merge(List<List<Integer>> panes) {
            List<Integer> all = new ArrayList<>();
            panes.forEach(all::addAll);
            return all;
        }
    };

    private static java.util.Optional<HoppingCountWindows.Window<List<Integer>>> add(HoppingCountWindows<List<Integer>> windows, int i) {
        return windows.add(new FeatureVector(SCHEMA, new double[] {i}), i, ids -> ids.add(100 + i));
    }

    @Test
    void shouldCloseAWindowOfSizeSamplesEveryAdvanceSamplesWhenWindowsOverlap() {
        HoppingCountWindows<Void> windows = HoppingCountWindows.withoutPayload(SCHEMA, 6, 2);
        List<WindowAggregate> closed = new ArrayList<>();

        for (int i = 0; i < 12; i++) {
            windows.add(new FeatureVector(SCHEMA, new double[] {i}), i).map(HoppingCountWindows.Window::samples).ifPresent(closed::add);
        }

        assertEquals(4, closed.size());
        for (int k = 0; k < closed.size(); k++) {
            WindowAggregate w = closed.get(k);
            assertEquals(6, w.count());
            assertEquals(2 * k, w.firstTimestamp());
            assertEquals(2 * k + 5, w.lastTimestamp());
            assertEquals(2 * k, w.value(0, 0));
        }
    }

    @Test
    void shouldStartOverWhenCleared() {
        HoppingCountWindows<Void> windows = HoppingCountWindows.withoutPayload(SCHEMA, 4, 4);
        for (int i = 0; i < 3; i++) {
            windows.add(new FeatureVector(SCHEMA, new double[] {i}), i);
        }

        windows.clear();

        for (int i = 0; i < 3; i++) {
            assertEquals(java.util.Optional.empty(), windows.add(new FeatureVector(SCHEMA, new double[] {i}), i));
        }
        assertEquals(4, windows.add(new FeatureVector(SCHEMA, new double[] {3}), 3).orElseThrow().samples().count());
    }

    @Test
    void shouldRejectAnAdvanceThatDoesNotDivideTheSize() {
        assertThrows(IllegalArgumentException.class, () -> HoppingCountWindows.withoutPayload(SCHEMA, 10, 3));
        assertThrows(IllegalArgumentException.class, () -> DriftSettings.defaults().withWindow(200, 300));
    }

    @Test
    void shouldCarryThePanesMergedPayloadWhenAWindowCloses() {
        HoppingCountWindows<List<Integer>> windows = new HoppingCountWindows<>(SCHEMA, 6, 2, IDS);
        List<HoppingCountWindows.Window<List<Integer>>> closed = new ArrayList<>();

        for (int i = 0; i < 10; i++) {
            add(windows, i).ifPresent(closed::add);
        }

        assertEquals(List.of(100, 101, 102, 103, 104, 105), closed.get(0).payload());
        assertEquals(List.of(102, 103, 104, 105, 106, 107), closed.get(1).payload(), "the merge left the overlapping panes alone");
        assertEquals(List.of(104, 105, 106, 107, 108, 109), closed.get(2).payload());
        assertEquals(List.of(List.of(106, 107), List.of(108, 109)),
                windows.fullPanes().stream().map(HoppingCountWindows.Pane::payload).toList());
        assertEquals(List.of(), windows.currentPane().payload(), "a new pane starts empty");
    }

    @Test
    void shouldContinueAsTheOriginalWhenRestoredFromItsPanes() {
        HoppingCountWindows<List<Integer>> original = new HoppingCountWindows<>(SCHEMA, 6, 2, IDS);
        for (int i = 0; i < 9; i++) {
            add(original, i);
        }
        List<HoppingCountWindows.Pane<List<Integer>>> full = original.fullPanes().stream().map(HoppingCountWindowsTest::copy).toList();
        assertEquals(2, full.size(), "samples 4..7 wait in two full panes");
        assertEquals(1, original.currentPane().samples().count(), "sample 8 waits in the current pane");

        HoppingCountWindows<List<Integer>> restored = HoppingCountWindows.restore(SCHEMA, 6, 2, IDS, full, copy(original.currentPane()));

        List<List<Integer>> closed = new ArrayList<>();
        for (int i = 9; i < 20; i++) {
            var expected = add(original, i);
            var actual = add(restored, i);
            assertEquals(expected.map(HoppingCountWindows.Window::samples), actual.map(HoppingCountWindows.Window::samples), "sample " + i);
            assertEquals(expected.map(HoppingCountWindows.Window::payload), actual.map(HoppingCountWindows.Window::payload), "sample " + i);
            actual.ifPresent(w -> closed.add(w.payload()));
        }
        assertEquals(List.of(104, 105, 106, 107, 108, 109), closed.get(0), "the first window after the restore holds the restored panes");
        assertEquals(6, closed.size(), "windows end at samples 9, 11, .., 19");
    }

    @Test
    void shouldEmptyThePayloadOfTheCurrentPaneWhenCleared() {
        HoppingCountWindows<List<Integer>> windows = new HoppingCountWindows<>(SCHEMA, 4, 2, IDS);
        for (int i = 0; i < 3; i++) {
            add(windows, i);
        }

        windows.clear();

        assertTrue(windows.fullPanes().isEmpty());
        assertEquals(List.of(), windows.currentPane().payload());
        assertEquals(0, windows.currentPane().samples().count());
        for (int i = 3; i < 6; i++) {
            assertTrue(add(windows, i).isEmpty(), "sample " + i);
        }
        assertEquals(List.of(103, 104, 105, 106), add(windows, 6).orElseThrow().payload(), "nothing noted before the clear");
    }

    private static HoppingCountWindows.Pane<List<Integer>> copy(HoppingCountWindows.Pane<List<Integer>> p) {
        WindowAggregate s = p.samples();
        return new HoppingCountWindows.Pane<>(WindowAggregate.ofRows(SCHEMA, s.rows(0, s.count()), s.firstTimestamp(), s.lastTimestamp()),
                new ArrayList<>(p.payload()));
    }
}
