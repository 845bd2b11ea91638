package io.resalign.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.bench.DetectionStream.Segment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Checks the benchmark's scoring against delays and counts worked out by hand. */
class DetectionScoreTest {

    /** Windows of 4 every 2 over samples 10..39: first = 10 + 2j, last = first + 3; flagged where {@code alarm} says. */
    private static List<WindowDecision> windows(java.util.function.IntPredicate alarmAtLast) {
        List<WindowDecision> out = new ArrayList<>();
        for (int first = 10; first + 3 < 40; first += 2) {
            int last = first + 3;
            out.add(new WindowDecision(first, last, alarmAtLast.test(last) ? 2 : 0.5, 1, alarmAtLast.test(last)));
        }
        return out;
    }

    private static final Segment GAP = new Segment(Segment.Kind.CLEAN, 0, 10, 20);
    private static final Segment SHIFT = new Segment(Segment.Kind.SHIFT, 0, 20, 30);
    private static final Segment GAP2 = new Segment(Segment.Kind.CLEAN, 1, 30, 40);

    @Test
    void delayCountsFromTheShiftsFirstSampleToTheFlaggedWindowsLast() {
        // first flagged window ending at or after 20 ends at 25: samples 20..25 seen, delay 6
        assertEquals(OptionalInt.of(6), DetectionScore.delay(windows(last -> last >= 25), SHIFT));
        // a window ending at 21 holds 2 shifted samples: delay 2
        assertEquals(OptionalInt.of(2), DetectionScore.delay(windows(last -> last == 21), SHIFT));
    }

    @Test
    void alarmsBeforeTheShiftOrAfterItsSegmentDoNotDetectIt() {
        assertEquals(OptionalInt.empty(), DetectionScore.delay(windows(last -> last < 20), SHIFT));
        assertEquals(OptionalInt.empty(), DetectionScore.delay(windows(last -> last >= 30), SHIFT));
    }

    @Test
    void falseAlarmsCountOnlyWindowsWhollyInsideCleanGaps() {
        // windows wholly in 10..19: firsts 10, 12, 14, 16 (last 13..19): 4; in 30..39: firsts 30, 32, 34, 36: 4
        List<WindowDecision> w = windows(last -> last == 13 || last == 23 || last == 33 || last == 35);
        DetectionScore.CleanWindows c = DetectionScore.clean("x", w, List.of(GAP, SHIFT, GAP2));
        assertEquals(8, c.windows());
        assertEquals(3, c.alarms(), "the window ending at 23 holds shifted samples and is not a false alarm");
        // 3 alarms over 8 windows that each advance 2 samples: 3 / 16 samples = 1875 per 10,000
        assertEquals(1875.0, c.perTenThousand(2), 1e-9);
    }

    @Test
    void firstListsEveryDetectorTiedAtTheSmallestDelay() {
        Map<String, List<WindowDecision>> byDetector = new LinkedHashMap<>();
        byDetector.put("a", windows(last -> last >= 23));
        byDetector.put("b", windows(last -> last >= 23));
        byDetector.put("c", windows(last -> last >= 27));
        byDetector.put("d", windows(last -> false));
        List<DetectionScore.Detection> d = new ArrayList<>();
        for (Map.Entry<String, List<WindowDecision>> e : byDetector.entrySet()) {
            d.add(new DetectionScore.Detection(e.getKey(), 0, DetectionScore.delay(e.getValue(), SHIFT)));
        }
        assertEquals(List.of("a", "b"), DetectionScore.first(d, 0));
        assertTrue(DetectionScore.first(List.of(new DetectionScore.Detection("d", 0, OptionalInt.empty())), 0).isEmpty());
    }
}
