package io.resalign.bench;

import io.resalign.bench.DetectionStream.Segment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Scores detectors on a {@link DetectionStream} from their window decisions.
 *
 * <ul>
 *   <li><b>Detection delay</b> of a shift: samples from the shift's first sample to the last sample of
 *       the first flagged window that holds shifted samples ({@code last - start + 1}); a shift with
 *       no flagged window before its segment ends is <b>missed</b>.</li>
 *   <li><b>False alarms</b>: flagged windows among the windows that lie wholly inside a clean gap
 *       (so a window still holding the previous shift's samples counts neither way), reported per
 *       10,000 clean samples: each window decision covers {@code advance} new samples, so the rate is
 *       alarms x 10,000 / (clean windows x advance), against the configured target
 *       alpha x 10,000 / advance.</li>
 * </ul>
 */
final class DetectionScore {

    /** A detector's result on one shift: the delay, empty when missed. */
    record Detection(String detector, int scenario, OptionalInt delay) {}

    /** A detector's false alarms on the clean gaps. */
    record CleanWindows(String detector, int windows, int alarms) {
        /** Returns the false alarms per 10,000 clean samples for windows that advance by {@code advance}. */
        double perTenThousand(int advance) {
            return windows == 0 ? Double.NaN : alarms * 10_000.0 / ((double) windows * advance);
        }
    }

    private DetectionScore() {}

    /** Returns the delay of the first flagged window that holds samples of {@code shift}, empty when none is flagged in it. */
    static OptionalInt delay(List<WindowDecision> windows, Segment shift) {
        for (WindowDecision w : windows) {
            if (w.alarm() && w.last() >= shift.start() && w.last() < shift.end()) {
                return OptionalInt.of(w.last() - shift.start() + 1);
            }
        }
        return OptionalInt.empty();
    }

    /** Returns the flagged windows among those wholly inside one of the clean segments. */
    static CleanWindows clean(String detector, List<WindowDecision> windows, List<Segment> segments) {
        int count = 0;
        int alarms = 0;
        for (WindowDecision w : windows) {
            for (Segment s : segments) {
                if (s.kind() == Segment.Kind.CLEAN && w.first() >= s.start() && w.last() < s.end()) {
                    count++;
                    alarms += w.alarm() ? 1 : 0;
                    break;
                }
            }
        }
        return new CleanWindows(detector, count, alarms);
    }

    /** Returns every detector's detection of every scenario, scenario-major. */
    static List<Detection> detections(DetectionStream stream, Map<String, List<WindowDecision>> byDetector) {
        List<Detection> out = new ArrayList<>();
        for (int k = 0; k < stream.scenarios().size(); k++) {
            Segment shift = stream.segment(k, Segment.Kind.SHIFT);
            for (Map.Entry<String, List<WindowDecision>> e : byDetector.entrySet()) {
                out.add(new Detection(e.getKey(), k, delay(e.getValue(), shift)));
            }
        }
        return out;
    }

    /**
     * Returns, for one scenario, the detectors that were first: those that detected it with the
     * smallest delay (ties included); empty when none detected it.
     */
    static List<String> first(List<Detection> detections, int scenario) {
        int best = Integer.MAX_VALUE;
        for (Detection d : detections) {
            if (d.scenario() == scenario && d.delay().isPresent()) {
                best = Math.min(best, d.delay().getAsInt());
            }
        }
        List<String> out = new ArrayList<>();
        for (Detection d : detections) {
            if (d.scenario() == scenario && d.delay().isPresent() && d.delay().getAsInt() == best) {
                out.add(d.detector());
            }
        }
        return out;
    }

    /** Returns each detector's clean-gap windows and false alarms. */
    static Map<String, CleanWindows> clean(DetectionStream stream, Map<String, List<WindowDecision>> byDetector) {
        Map<String, CleanWindows> out = new LinkedHashMap<>();
        byDetector.forEach((detector, windows) -> out.put(detector, clean(detector, windows, stream.segments())));
        return out;
    }
}
