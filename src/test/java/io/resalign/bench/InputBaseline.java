package io.resalign.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The detection benchmark's input-space baseline: {@link MmdDetector} on the raw pixels (scaled to
 * 0..1), fitted on the stream's first N images (the same reference as the service's monitors),
 * tested on exactly the windows the service reported, at the same false-alarm rate.
 */
final class InputBaseline {
    /** The detector's name in tables. */
    static final String NAME = "input-mmd";

    private InputBaseline() {}

    /** Fits the detector on reference images (pixels 0..255) for windows of {@code window} images. */
    static MmdDetector fit(float[][] referencePixels, double alpha, int window, long seed) {
        return MmdDetector.fit(unit(referencePixels), alpha, window, seed);
    }

    /** Returns whether the window's images (pixels 0..255) are flagged. */
    static boolean alarm(MmdDetector detector, float[][] windowPixels) {
        return detector.test(unit(windowPixels)).alarm();
    }

    /**
     * Tests the windows of {@code served} (the service's windows, in order) on the stream's pixels.
     *
     * @throws IllegalStateException when the service's windows are not the hopping windows the detector's stream closes
     */
    static List<WindowDecision> decide(DetectionStream stream, List<WindowDecision> served, double alpha, long seed) {
        if (served.size() < 1) {
            return List.of();
        }
        int reference = stream.referenceSize();
        int size = served.get(0).last() - served.get(0).first() + 1;
        int advance = served.size() > 1 ? served.get(1).first() - served.get(0).first() : size;
        MmdDetector detector = fit(stream.images(0, reference), alpha, size, seed);
        MmdDetector.Stream windows = detector.stream(size, advance, reference);
        List<WindowDecision> out = new ArrayList<>(served.size());
        for (int i = reference; i < stream.size() && out.size() < served.size(); i++) {
            Optional<MmdDetector.WindowDecision> w = windows.add(MmdDetector.unitPixels(stream.image(i)));
            if (w.isPresent()) {
                WindowDecision expected = served.get(out.size());
                MmdDetector.Decision d = w.get().decision();
                if (w.get().first() != expected.first() || w.get().last() != expected.last()) {
                    throw new IllegalStateException("the service's window " + out.size() + " is " + expected.first() + ".."
                            + expected.last() + ", the baseline's " + w.get().first() + ".." + w.get().last());
                }
                out.add(new WindowDecision(expected.first(), expected.last(), d.statistic(), d.threshold(), d.alarm()));
            }
        }
        return out;
    }

    private static float[][] unit(float[][] pixels) {
        float[][] out = new float[pixels.length][];
        for (int i = 0; i < pixels.length; i++) {
            out[i] = MmdDetector.unitPixels(pixels[i]);
        }
        return out;
    }
}
