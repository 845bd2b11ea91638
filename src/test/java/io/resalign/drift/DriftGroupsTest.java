package io.resalign.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.SyntheticMetricsStream.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Proves the split of one window's test into two decisions, alignment and output: the alignment
 * statistic is that of the former single statistic, adding output features leaves every alignment number unchanged,
 * a shift of one group raises that group's alarm only, and each group keeps its false-alarm rate.
 */
class DriftGroupsTest {
    private static final ModelVersion MV = new ModelVersion("groups", "1");
    private static final DriftSettings SETTINGS = DriftSettings.defaults().withFalseAlarmRate(0.01);

    /** The schema of three blocks as it was before output features existed. */
    private static List<String> alignmentNames() {
        List<String> names = new ArrayList<>(FeatureSchema.SAMPLE_FEATURES);
        for (String b : List.of("b0", "b1", "b2")) {
            for (String m : FeatureSchema.BLOCK_FEATURES) {
                names.add(FeatureSchema.blockFeature(b, m));
            }
        }
        return names;
    }

    /**
     * Rows of correlated features (some lognormal, some 10 % NaN) under {@code schema}; the alignment
     * features draw the same values whatever output features the schema has, which come from a
     * second stream. Feature "alignment" moves by {@code shift}, the output features by {@code outputShift}.
     */
    private static WindowAggregate rows(FeatureSchema schema, long seed, int n, double shift, double outputShift) {
        SplittableRandom r = new SplittableRandom(seed);
        SplittableRandom out = new SplittableRandom(seed + 77);
        WindowAggregate w = new WindowAggregate(schema);
        for (int i = 0; i < n; i++) {
            double common = r.nextGaussian();
            double[] v = new double[schema.size()];
            int a = 0;
            for (int f = 0; f < v.length; f++) {
                if (schema.isOutput(f)) {
                    v[f] = 0.5 * common + 0.8 * out.nextGaussian() + outputShift;
                    continue;
                }
                double g = 0.6 * common + 0.8 * r.nextGaussian();
                v[f] = a % 3 == 0 ? Math.exp(0.5 * g) : (a % 7 == 5 && r.nextDouble() < 0.1 ? Double.NaN : g);
                a++;
            }
            v[schema.indexOf("alignment")] += shift;
            w.add(new FeatureVector(schema, v), i);
        }
        return w;
    }

    @Test
    void shouldGiveTheNumbersOfTheFormerSingleStatisticAndNoOutputDecisionWhenTheSchemaHasNoOutputFeatures() {
        FeatureSchema schema = FeatureSchema.of(alignmentNames());
        ReferenceProfile ref = ReferenceProfile.of(rows(schema, 11, 1000, 0, 0), ReferenceSource.FIRST_SAMPLES, 0);
        DriftDetector test = new DriftDetector(MV, ref, SETTINGS);

        DriftReport r = test.test(rows(schema, 12, 100, 0.3, 0));

        // recorded with the single-statistic DriftDetector of commit 7a9c8ba on exactly these rows and settings
        assertEquals(1.706058216381085, r.statistic(), 0.0);
        assertEquals(19, r.testedFeatures());
        assertEquals("alignment", r.topFeature());
        // recorded once the replicates were scaled to the spread of new observations' scores
        // (ReferenceScores.newObservationScale); at 7a9c8ba, unscaled: 3.4495784693407665, 0.7043295670432956
        // and the band -0.34559773732462284 .. 0.37386936353562716
        assertEquals(3.468206613577036, r.threshold(), 0.0);
        assertEquals(0.7122287771222878, r.pValue(), 0.0);
        assertEquals(new ReferenceBand(0.014135813105502167, -0.34754034234827913, 0.37581196855928345), test.band(2, 100));
        assertTrue(Double.isNaN(r.output().statistic()) && Double.isNaN(r.output().threshold()), "no output statistic");
        assertEquals(0, r.output().decision());
        assertEquals(0, r.output().testedFeatures());
        assertTrue(Double.isNaN(test.threshold(FeatureGroup.OUTPUT, 100)));
    }

    @Test
    void shouldKeepTheAlignmentDecisionUnchangedWhenOutputFeaturesJoinTheSchema() {
        FeatureSchema without = FeatureSchema.of(alignmentNames());
        List<String> names = new ArrayList<>(alignmentNames());
        names.addAll(4, FeatureSchema.OUTPUT_FEATURES);
        FeatureSchema with = FeatureSchema.of(names);
        DriftDetector plain = new DriftDetector(MV, ReferenceProfile.of(rows(without, 11, 1000, 0, 0), ReferenceSource.FIRST_SAMPLES, 0),
                SETTINGS);
        DriftDetector split = new DriftDetector(MV, ReferenceProfile.of(rows(with, 11, 1000, 0, 0), ReferenceSource.FIRST_SAMPLES, 0),
                SETTINGS);

        DriftReport a = plain.test(rows(without, 12, 100, 0.3, 2.0));
        DriftReport b = split.test(rows(with, 12, 100, 0.3, 2.0));

        assertEquals(a.threshold(), b.threshold(), 0.0);
        assertEquals(a.statistic(), b.statistic(), 0.0);
        assertEquals(a.pValue(), b.pValue(), 0.0);
        assertEquals(a.features(), b.features(), "the same alignment features, same z, same order");
        assertEquals(a.blocks(), b.blocks());
        assertEquals(1, b.output().decision(), "a 2 sd output shift is flagged: " + b.output());
        assertEquals(2, b.output().testedFeatures());
        assertEquals(List.of("output_entropy", "output_confidence"),
                b.output().features().stream().map(FeatureShift::feature).sorted(java.util.Comparator.reverseOrder()).toList());
    }

    @Test
    void shouldFlagOutputButNotAlignmentWhenOnlyTheOutputFeaturesShift() {
        DriftDetector test = new DriftDetector(MV, SyntheticMetricsStream.reference(21), SETTINGS);
        SyntheticMetricsStream stream = new SyntheticMetricsStream(Shape.MIXED, 22).shiftOutput(0.6);

        DriftReport r = test.test(stream.window(200));

        assertTrue(r.output().drift(), "output: " + r.output().statistic() + " vs " + r.output().threshold());
        assertFalse(r.drift(), "alignment: " + r.statistic() + " vs " + r.threshold());
        assertTrue(r.features().stream().noneMatch(s -> FeatureSchema.isOutputFeature(s.feature())),
                "the alignment ranking lists no output feature");
        assertEquals(SyntheticMetricsStream.SCHEMA.size() - 2, r.features().size());
        assertEquals(r.output().statistic(), Math.abs(r.output().features().get(0).z()), 1e-12, "max |z| over the output features");
        assertTrue(r.output().features().stream().allMatch(s -> Math.abs(s.z()) > 3), "both move: " + r.output().features());
    }

    @Test
    void shouldFlagAlignmentButNotOutputWhenOnlyABlockShifts() {
        DriftDetector test = new DriftDetector(MV, SyntheticMetricsStream.reference(23), SETTINGS);
        SyntheticMetricsStream stream = new SyntheticMetricsStream(Shape.MIXED, 24);
        stream.shiftBlock("layer2.0", 0.6);

        DriftReport r = test.test(stream.window(200));

        assertTrue(r.drift(), "alignment: " + r.statistic() + " vs " + r.threshold());
        assertEquals("layer2.0", r.topBlock());
        assertFalse(r.output().drift(), "output: " + r.output().statistic() + " vs " + r.output().threshold());
    }

    @Test
    void shouldDrawEachFeaturesBandWithItsOwnGroupsThreshold() {
        DriftDetector test = new DriftDetector(MV, SyntheticMetricsStream.reference(25), SETTINGS);
        FeatureSchema schema = SyntheticMetricsStream.SCHEMA;
        double alignment = test.threshold(FeatureGroup.ALIGNMENT, 200);
        double output = test.threshold(FeatureGroup.OUTPUT, 200);

        assertTrue(output < alignment, "max |z| of 2 features needs a lower threshold than of 29: " + output + " vs " + alignment);
        for (String feature : List.of("output_entropy", "line_shape")) {
            int f = schema.indexOf(feature);
            WindowAggregate ref = test.reference().asWindow();
            FeatureSummary s = ref.summary(f);
            double expected = (FeatureSchema.isOutputFeature(feature) ? output : alignment) * Math.sqrt(s.variance())
                    * Math.sqrt(1.0 / 200 + 1.0 / s.count());
            ReferenceBand band = test.band(f, 200);
            assertEquals(expected, band.high() - band.mean(), 1e-9 * expected, feature);
        }
    }

    @Test
    void shouldKeepEachGroupsFalseAlarmRateWithinAFactorTwoWhenTheStreamIsStationary() {
        DriftSettings settings = DriftSettings.defaults().withFalseAlarmRate(0.05);
        int references = 8;
        int windows = 100;
        int[][] alarms = IntStream.range(0, references).parallel().mapToObj(r -> {
            SyntheticMetricsStream stream = new SyntheticMetricsStream(Shape.MIXED, 500L + r);
            DriftMonitor monitor = new DriftMonitor(MV, SyntheticMetricsStream.SCHEMA, settings.withSeed(r));
            int[] count = new int[2];
            int tested = 0;
            long t = 0;
            while (tested < windows) {
                var report = monitor.accept(stream.next(), t++);
                if (report.isPresent()) {
                    tested++;
                    count[0] += report.get().decision();
                    count[1] += report.get().output().decision();
                }
            }
            return count;
        }).toArray(int[][]::new);
        double total = references * windows;
        double alignmentRate = IntStream.range(0, references).map(r -> alarms[r][0]).sum() / total;
        double outputRate = IntStream.range(0, references).map(r -> alarms[r][1]).sum() / total;
        System.out.printf("false alarms at alpha 0.05 over %d windows: alignment %.4f, output %.4f%n", (int) total, alignmentRate,
                outputRate);

        assertTrue(alignmentRate >= 0.025 && alignmentRate <= 0.1, "alignment false-alarm rate " + alignmentRate);
        assertTrue(outputRate >= 0.025 && outputRate <= 0.1, "output false-alarm rate " + outputRate);
    }

}
