package io.resalign.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.SyntheticMetricsStream.Shape;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Measures detection: after a reference of 2,000 clean samples the stream shifts, and each test
 * counts the windows of 200 until the first alarm at the default false-alarm rate (1 per 1,000
 * windows) and checks what the report names as the cause.
 */
class DriftPowerTest {
    private static final int TRIALS = 3;
    private static final int MAX_WINDOWS = 20;
    // Power does not hinge on the last digit of the threshold; fewer replicates keep the test fast.
    private static final DriftSettings SETTINGS = DriftSettings.defaults().withBootstrapReplicates(20_000);

    @ParameterizedTest
    @EnumSource(value = Shape.class, names = {"CORRELATED_GAUSSIAN", "STUDENT_T3", "MIXED"})
    void shouldDetectAHalfSdShiftOfOneBlockWithinThreeWindowsAndRankThatBlockFirst(Shape shape) {
        for (int trial = 0; trial < TRIALS; trial++) {
            Detection d = firstAlarm(shape, trial, SETTINGS, s -> s.shiftBlock("layer2.0", 0.5));

            assertTrue(d.windows <= 3, shape + " trial " + trial + ": first alarm after " + d.windows + " windows");
            assertEquals("layer2.0", d.report.topBlock(), shape + " trial " + trial + ": " + d.report.blocks());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Shape.class, names = {"CORRELATED_GAUSSIAN", "STUDENT_T3", "MIXED"})
    void shouldDetectAHalfSdShiftOfOnePerSampleFeatureAndNameIt(Shape shape) {
        for (int trial = 0; trial < TRIALS; trial++) {
            Detection d = firstAlarm(shape, trial, SETTINGS,
                    s -> s.shift(List.of("line_shape"), 0.5));

            assertTrue(d.windows <= 3, shape + " trial " + trial + ": first alarm after " + d.windows + " windows");
            assertEquals("line_shape", d.report.topFeature(), shape + " trial " + trial);
        }
    }

    @Test
    void shouldPreferMaxOverSumOfSquaresWhenFewFeaturesMove() {
        // Detection rate per window of small shifts, measured for both combiners (docs/drift.md).
        double maxOneFeature = detectionRate(Combiner.MAX_ABS, s -> s.shift(List.of("step_cv"), 0.25));
        double sumOneFeature = detectionRate(Combiner.SUM_OF_SQUARES, s -> s.shift(List.of("step_cv"), 0.25));
        double maxBlock = detectionRate(Combiner.MAX_ABS, s -> s.shiftBlock("layer1.1", 0.2));
        double sumBlock = detectionRate(Combiner.SUM_OF_SQUARES, s -> s.shiftBlock("layer1.1", 0.2));
        double maxAll = detectionRate(Combiner.MAX_ABS, s -> s.shift(SyntheticMetricsStream.SCHEMA.names(), 0.1));
        double sumAll = detectionRate(Combiner.SUM_OF_SQUARES,
                s -> s.shift(SyntheticMetricsStream.SCHEMA.names(), 0.1));
        System.out.printf("detection per window, MIXED, alpha 0.001: one feature 0.25 sd max %.2f sum %.2f;"
                + " one block 0.2 sd max %.2f sum %.2f; all features 0.1 sd max %.2f sum %.2f%n",
                maxOneFeature, sumOneFeature, maxBlock, sumBlock, maxAll, sumAll);

        assertTrue(maxOneFeature > sumOneFeature, "max " + maxOneFeature + " vs sum " + sumOneFeature);
        assertTrue(maxBlock > sumBlock, "max " + maxBlock + " vs sum " + sumBlock);
    }

    private static double detectionRate(Combiner combiner, Consumer<SyntheticMetricsStream> shift) {
        DriftSettings settings = SETTINGS.withCombiner(combiner);
        SyntheticMetricsStream stream = new SyntheticMetricsStream(Shape.MIXED, 77);
        DriftMonitor monitor = new DriftMonitor(new ModelVersion("sim", "power"), SyntheticMetricsStream.SCHEMA, settings);
        long t = 0;
        for (int i = 0; i < settings.referenceSize(); i++) {
            monitor.accept(stream.next(), t++);
        }
        shift.accept(stream);
        int windows = 0;
        int alarms = 0;
        while (windows < 100) {
            var report = monitor.accept(stream.next(), t++);
            if (report.isPresent()) {
                windows++;
                alarms += report.get().decision();
            }
        }
        return alarms / (double) windows;
    }

    private record Detection(int windows, DriftReport report) {}

    static Detection firstAlarm(Shape shape, long seed, DriftSettings settings, Consumer<SyntheticMetricsStream> shift) {
        SyntheticMetricsStream stream = new SyntheticMetricsStream(shape, 500 + seed);
        DriftMonitor monitor = new DriftMonitor(new ModelVersion("sim", "power"), SyntheticMetricsStream.SCHEMA,
                settings.withSeed(seed));
        long t = 0;
        for (int i = 0; i < settings.referenceSize(); i++) {
            monitor.accept(stream.next(), t++);
        }
        shift.accept(stream);
        int windows = 0;
        while (windows < MAX_WINDOWS) {
            var report = monitor.accept(stream.next(), t++);
            if (report.isPresent()) {
                windows++;
                if (report.get().drift()) {
                    System.out.printf("first alarm %s seed %d: window %d, top block %s, top feature %s%n",
                            shape, seed, windows, report.get().topBlock(), report.get().topFeature());
                    return new Detection(windows, report.get());
                }
            }
        }
        throw new AssertionError(shape + ": no alarm within " + MAX_WINDOWS + " windows");
    }
}
