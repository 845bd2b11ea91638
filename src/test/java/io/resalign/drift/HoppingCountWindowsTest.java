package io.resalign.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HoppingCountWindowsTest {
    private static final FeatureSchema SCHEMA = FeatureSchema.of(List.of("i"));

    @Test
    void shouldCloseAWindowOfSizeSamplesEveryAdvanceSamplesWhenWindowsOverlap() {
        HoppingCountWindows windows = new HoppingCountWindows(SCHEMA, 6, 2);
        List<WindowAggregate> closed = new ArrayList<>();

        for (int i = 0; i < 12; i++) {
            windows.add(new FeatureVector(SCHEMA, new double[] {i}), i).ifPresent(closed::add);
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
        HoppingCountWindows windows = new HoppingCountWindows(SCHEMA, 4, 4);
        for (int i = 0; i < 3; i++) {
            windows.add(new FeatureVector(SCHEMA, new double[] {i}), i);
        }

        windows.clear();

        for (int i = 0; i < 3; i++) {
            assertEquals(java.util.Optional.empty(), windows.add(new FeatureVector(SCHEMA, new double[] {i}), i));
        }
        assertEquals(4, windows.add(new FeatureVector(SCHEMA, new double[] {3}), 3).orElseThrow().count());
    }

    @Test
    void shouldRejectAnAdvanceThatDoesNotDivideTheSize() {
        assertThrows(IllegalArgumentException.class, () -> new HoppingCountWindows(SCHEMA, 10, 3));
        assertThrows(IllegalArgumentException.class, () -> DriftSettings.defaults().withWindow(200, 300));
    }
}
