package io.resalign.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.SyntheticMetricsStream.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

class DriftDetectorTest {
    private static final ModelVersion MV = new ModelVersion("sim", "1");
    private static final DriftSettings SETTINGS = DriftSettings.defaults().withFalseAlarmRate(0.01);


    @Test
    void shouldGiveTheSameThresholdAndReportWhenRunTwiceWithTheSameSeed() {
        ReferenceProfile ref = SyntheticMetricsStream.reference(1);
        WindowAggregate w = new SyntheticMetricsStream(Shape.MIXED, 2).window(200);

        DriftReport a = new DriftDetector(MV, ref, SETTINGS).test(w);
        DriftReport b = new DriftDetector(MV, ref, SETTINGS).test(w);
        double otherSeed = new DriftDetector(MV, ref, SETTINGS.withSeed(2)).threshold(200);

        assertEquals(a, b);
        assertNotEquals(a.threshold(), otherSeed);
        assertEquals(a.threshold(), otherSeed, 0.1 * a.threshold(), "seeds change the threshold only a little");
    }

    @Test
    void shouldGiveTheSameThresholdWhenCalibratedAheadOnTheBackgroundThread() {
        DriftDetector ahead = new DriftDetector(MV, SyntheticMetricsStream.reference(3), SETTINGS);
        ahead.calibrateAhead(200);
        DriftDetector inline = new DriftDetector(MV, SyntheticMetricsStream.reference(3), SETTINGS);
        assertEquals(inline.threshold(200), ahead.threshold(200), "the thread that calibrates does not change the result");
        assertEquals(inline.threshold(150), ahead.threshold(150), "other window sizes are calibrated when asked");
    }

    @Test
    void shouldCalibrateEachWindowSizeOnItsOwnWhenWindowsAreShort() {
        DriftDetector test = new DriftDetector(MV, SyntheticMetricsStream.reference(3), SETTINGS);

        double t200 = test.threshold(200);
        double t30 = test.threshold(30);

        assertNotEquals(t200, t30);
        assertTrue(t200 > 2.5 && t200 < 4.5, "max |z| of 29 correlated features at alpha 0.01: " + t200);
        assertEquals(t200, test.threshold(200), "cached");
    }

    @Test
    void shouldReportStatisticThresholdDecisionAndRankingsWhenAWindowIsTested() {
        SyntheticMetricsStream stream = new SyntheticMetricsStream(Shape.MIXED, 4);
        DriftDetector test = new DriftDetector(MV, SyntheticMetricsStream.reference(5), SETTINGS);

        DriftReport clean = test.test(stream.window(200));
        stream.shiftBlock("layer3.0", 1.0);
        DriftReport shifted = test.test(stream.window(200));

        assertFalse(clean.drift(), "clean window: " + clean.statistic() + " vs " + clean.threshold());
        assertTrue(clean.pValue() > 0.01);
        assertTrue(shifted.drift());
        assertEquals(1, shifted.decision());
        assertTrue(shifted.pValue() < 0.001);
        assertEquals(29, shifted.testedFeatures());
        assertEquals(29, shifted.features().size());
        assertEquals(5, shifted.blocks().size());
        assertEquals("layer3.0", shifted.topBlock());
        assertEquals("layer3.0", shifted.features().get(0).block());
        FeatureShift sigma = shifted.features().stream()
                .filter(f -> f.feature().equals("block:layer3.0:sigma1")).findFirst().orElseThrow();
        assertEquals(1.0, sigma.shiftInReferenceSd(), 0.35, "raw shift in reference sd");
        assertEquals(shifted.statistic(), Math.abs(shifted.features().get(0).z()), 1e-12);
        FeatureShift alignment = shifted.features().stream()
                .filter(f -> f.feature().equals("alignment")).findFirst().orElseThrow();
        assertEquals(200, alignment.windowCount() + alignment.windowNanCount());
        assertTrue(alignment.windowNanCount() > 5, "about 10% NaN alignments");
    }

    @Test
    void shouldLeaveAFeatureUntestedWhenTheWindowHasTooFewDefinedValues() {
        FeatureSchema schema = FeatureSchema.of(List.of("a", "b"));
        WindowAggregate refWindow = new WindowAggregate(schema);
        WindowAggregate w = new WindowAggregate(schema);
        java.util.SplittableRandom random = new java.util.SplittableRandom(6);
        for (int i = 0; i < 500; i++) {
            refWindow.add(new FeatureVector(schema, new double[] {random.nextGaussian(), random.nextGaussian()}), i);
        }
        for (int i = 0; i < 100; i++) {
            double b = i < 5 ? 10.0 : Double.NaN;
            w.add(new FeatureVector(schema, new double[] {random.nextGaussian(), b}), i);
        }
        DriftDetector test = new DriftDetector(MV, ReferenceProfile.of(refWindow, ReferenceSource.FIRST_SAMPLES, 0),
                SETTINGS.withBootstrapReplicates(2000));

        DriftReport report = test.test(w);

        assertEquals(1, report.testedFeatures());
        assertEquals("a", report.topFeature());
        assertTrue(Double.isNaN(report.features().get(1).z()));
        assertEquals(95, report.features().get(1).windowNanCount());
        assertEquals(List.of(), report.blocks());
    }

    @Test
    void shouldFlagAFeatureThatLeavesAConstantReferenceValue() {
        FeatureSchema schema = FeatureSchema.of(List.of("a", "block:x:effective_rank"));
        WindowAggregate refWindow = new WindowAggregate(schema);
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int i = 0; i < 1000; i++) {
            refWindow.add(new FeatureVector(schema, new double[] {random.nextGaussian(), 3}), i);
        }
        DriftDetector test = new DriftDetector(MV, ReferenceProfile.of(refWindow, ReferenceSource.FIRST_SAMPLES, 0),
                SETTINGS.withBootstrapReplicates(2000));
        WindowAggregate same = new WindowAggregate(schema);
        WindowAggregate moved = new WindowAggregate(schema);
        for (int i = 0; i < 200; i++) {
            same.add(new FeatureVector(schema, new double[] {random.nextGaussian(), 3}), i);
            moved.add(new FeatureVector(schema, new double[] {random.nextGaussian(), i % 4 == 0 ? 4 : 3}), i);
        }

        assertFalse(test.test(same).drift());
        DriftReport report = test.test(moved);
        assertTrue(report.drift());
        assertEquals("x", report.topBlock());
    }

    @Test
    void shouldGiveTheSameStatisticWhenEveryValueIsTransformedMonotonically() {
        WindowAggregate ref = new SyntheticMetricsStream(Shape.CORRELATED_GAUSSIAN, 8).window(1000);
        WindowAggregate w = new SyntheticMetricsStream(Shape.CORRELATED_GAUSSIAN, 9).shiftBlock("layer1.0", 0.3).window(200);
        DriftSettings settings = SETTINGS.withBootstrapReplicates(2000);

        DriftReport plain = new DriftDetector(MV, ReferenceProfile.of(ref, ReferenceSource.FIRST_SAMPLES, 0), settings).test(w);
        DriftReport skewed = new DriftDetector(MV, ReferenceProfile.of(exp(ref), ReferenceSource.FIRST_SAMPLES, 0), settings)
                .test(exp(w));

        assertEquals(plain.statistic(), skewed.statistic(), 1e-12);
        assertEquals(plain.threshold(), skewed.threshold(), 1e-12);
        assertEquals(plain.topFeature(), skewed.topFeature());
    }

    private static WindowAggregate exp(WindowAggregate w) {
        WindowAggregate out = new WindowAggregate(w.schema());
        double[] row = new double[w.schema().size()];
        for (int r = 0; r < w.count(); r++) {
            for (int f = 0; f < row.length; f++) {
                // Through float, as windows store values: exp of a float-rounded value stays monotone.
                row[f] = Math.exp(w.value(r, f));
            }
            out.add(new FeatureVector(w.schema(), row), r);
        }
        return out;
    }
}
