package io.resalign.drift;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WindowAggregateTest {
    private static final FeatureSchema SCHEMA = FeatureSchema.of(List.of("a", "b", "block:x:sigma1"));

    private static WindowAggregate randomWindow(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        WindowAggregate w = new WindowAggregate(SCHEMA);
        for (int i = 0; i < n; i++) {
            double b = random.nextDouble() < 0.2 ? Double.NaN : Math.exp(random.nextGaussian());
            w.add(new FeatureVector(SCHEMA, new double[] {random.nextGaussian(), b, random.nextInt(5)}), 1000 + i);
        }
        return w;
    }

    @Test
    void shouldRoundTripEveryValueAndTimestampWhenSerialised() {
        WindowAggregate w = randomWindow(1, 257);

        WindowAggregate back = WindowAggregate.fromBytes(w.toBytes());

        assertEquals(w, back);
        assertEquals(1000, back.firstTimestamp());
        assertEquals(1256, back.lastTimestamp());
        assertEquals(w.summary(1), back.summary(1));
        assertTrue(w.toBytes().length < 257 * 3 * 4 + 100, "about 4 bytes per value: " + w.toBytes().length);
    }

    @Test
    void shouldRoundTripAnEmptyWindowWhenSerialised() {
        WindowAggregate empty = new WindowAggregate(SCHEMA);

        assertEquals(empty, WindowAggregate.fromBytes(empty.toBytes()));
    }

    @Test
    void shouldRejectBytesOfAnotherTypeOrTruncatedBytesWhenDeserialised() {
        byte[] bytes = randomWindow(2, 10).toBytes();

        assertThrows(IllegalArgumentException.class,
                () -> WindowAggregate.fromBytes(Arrays.copyOf(bytes, bytes.length - 3)));
        byte[] wrongTag = bytes.clone();
        wrongTag[0] = 'R';
        assertThrows(IllegalArgumentException.class, () -> WindowAggregate.fromBytes(wrongTag));
    }

    @Test
    void shouldMatchAnExactSortWhenComputingQuantilesMeanAndVariance() {
        WindowAggregate w = randomWindow(3, 1001);
        double[] b = w.definedValues(1);
        double[] sorted = b.clone();
        Arrays.sort(sorted);

        FeatureSummary s = w.summary("b");

        assertEquals(sorted.length, s.count());
        assertEquals(1001 - sorted.length, s.nanCount());
        assertTrue(s.nanCount() > 150 && s.nanCount() < 250, "about 20% NaN: " + s.nanCount());
        assertEquals(Arrays.stream(b).average().orElseThrow(), s.mean(), 1e-12);
        double mean = s.mean();
        assertEquals(Arrays.stream(b).map(x -> (x - mean) * (x - mean)).sum() / (b.length - 1), s.variance(), 1e-9);
        for (double[] pq : new double[][] {{0.5, s.p50()}, {0.9, s.p90()}, {0.99, s.p99()}}) {
            double h = pq[0] * (sorted.length - 1);
            int lo = (int) h;
            double expected = sorted[lo] + (h - lo) * (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]);
            assertEquals(expected, pq[1], 1e-12, "quantile " + pq[0]);
        }
    }

    @Test
    void shouldGiveTheMedianOfOddAndEvenCountsWhenValuesAreSmall() {
        assertEquals(2.0, WindowAggregate.quantileOfSorted(new double[] {1, 2, 3}, 0.5));
        assertEquals(2.5, WindowAggregate.quantileOfSorted(new double[] {1, 2, 3, 4}, 0.5));
        assertEquals(3.97, WindowAggregate.quantileOfSorted(new double[] {1, 2, 3, 4}, 0.99), 1e-12);
        assertTrue(Double.isNaN(WindowAggregate.quantileOfSorted(new double[0], 0.5)));
    }

    @Test
    void shouldEqualOneWindowOfAllSamplesWhenPanesAreMerged() {
        WindowAggregate all = randomWindow(4, 300);
        WindowAggregate first = new WindowAggregate(SCHEMA);
        WindowAggregate second = new WindowAggregate(SCHEMA);
        for (int r = 0; r < 300; r++) {
            double[] row = {all.value(r, 0), all.value(r, 1), all.value(r, 2)};
            (r < 120 ? first : second).add(new FeatureVector(SCHEMA, row), 1000 + r);
        }

        WindowAggregate merged = first.merge(second);

        assertEquals(all, merged);
        assertArrayEquals(all.definedValues(1), merged.definedValues(1));
    }

    @Test
    void shouldRefuseSamplesOfAnotherSchemaWhenAdding() {
        FeatureSchema other = FeatureSchema.of(List.of("a", "b"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new WindowAggregate(SCHEMA).add(new FeatureVector(other, new double[2]), 0));
        assertTrue(e.getMessage().contains("[a, b]"), e.getMessage());
    }
}
