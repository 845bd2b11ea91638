package io.resalign.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReferenceScoresTest {
    @Test
    void shouldMatchTheNormalQuantileAtKnownProbabilities() {
        assertEquals(0.0, NormalQuantile.of(0.5), 1e-12);
        assertEquals(1.959963984540054, NormalQuantile.of(0.975), 1e-8);
        assertEquals(-2.326347874040841, NormalQuantile.of(0.01), 1e-8);
        assertEquals(3.090232306167813, NormalQuantile.of(0.999), 1e-8);
        assertEquals(-4.753424308822899, NormalQuantile.of(1e-6), 1e-7);
    }

    @Test
    void shouldScoreByMidRankAgainstTheReferenceWhenValuesTieOrFallOutside() {
        FeatureSchema schema = FeatureSchema.of(List.of("a"));
        WindowAggregate w = new WindowAggregate(schema);
        SplittableRandom random = new SplittableRandom(1);
        float[] values = new float[301];
        for (int i = 0; i < values.length; i++) {
            // Integers 0..9 plus NaNs: heavy ties, as effective_rank has.
            double v = i % 50 == 0 ? Double.NaN : random.nextInt(10);
            values[i] = (float) v;
            w.add(new FeatureVector(schema, new double[] {v}), i);
        }
        ReferenceScores scores = new ReferenceScores(ReferenceProfile.of(w, ReferenceSource.FIRST_SAMPLES, 0));
        int n = scores.definedCount(0);

        for (float x : new float[] {-1f, 0f, 3f, 3.5f, 9f, 12f}) {
            int below = 0;
            int equal = 0;
            for (float v : values) {
                if (v < x) {
                    below++;
                } else if (v == x) {
                    equal++;
                }
            }
            double expected = NormalQuantile.of((below + 0.5 * equal + 0.5) / (n + 1.0));
            assertEquals(expected, scores.score(0, x), 1e-12, "score of " + x);
        }
        assertTrue(Double.isNaN(scores.score(0, Float.NaN)));
        assertEquals(values.length - 7, n, "seven NaNs skipped");
        assertEquals(0.0, scores.mean(0), 0.05, "reference scores are centred");
    }

    /**
     * The bootstrap scales its replicates by newObservationScale: it must be the spread of the
     * scores that new draws from the reference's distribution get, over the spread of the
     * reference's own scores, on average over references (for one reference the new draws' spread
     * depends on where its extreme values happen to fall). Checked by Monte Carlo, fresh draws
     * scored through score() against 400 references of 200, for distinct values (a variance ratio
     * of about 1.04 at this size) and for a feature piled up on one value as output_confidence is at 1.0.
     */
    @Test
    void shouldScaleBySpreadOfNewObservationsScoresAgainstTheReference() {
        FeatureSchema schema = FeatureSchema.of(List.of("a"));
        for (boolean tied : new boolean[] {false, true}) {
            SplittableRandom random = new SplittableRandom(tied ? 5 : 4);
            java.util.function.DoubleSupplier draw = () -> tied && random.nextDouble() < 0.35 ? 1.0 : random.nextDouble() * 0.99;
            double newVariance = 0;
            double ownVariance = 0;
            double scaledOwnVariance = 0;
            int references = 400;
            for (int ref = 0; ref < references; ref++) {
                WindowAggregate w = new WindowAggregate(schema);
                for (int i = 0; i < 200; i++) {
                    w.add(new FeatureVector(schema, new double[] {(float) draw.getAsDouble()}), i);
                }
                ReferenceScores scores = new ReferenceScores(ReferenceProfile.of(w, ReferenceSource.FIRST_SAMPLES, 0));
                double own = 0;
                for (int r = 0; r < 200; r++) {
                    own += Math.pow(scores.rowScore(r, 0) - scores.mean(0), 2) / 200;
                }
                int draws = 5_000;
                double sumOfSquares = 0;
                for (int i = 0; i < draws; i++) {
                    // Centred on the reference mean, as the test's z is: the window mean's offset from it counts too.
                    sumOfSquares += Math.pow(scores.score(0, (float) draw.getAsDouble()) - scores.mean(0), 2);
                }
                newVariance += sumOfSquares / draws / references;
                ownVariance += own / references;
                scaledOwnVariance += own * Math.pow(scores.newObservationScale(0), 2) / references;
            }
            String what = (tied ? "tied" : "distinct") + " values: new " + newVariance + ", own " + ownVariance;
            // Monte Carlo error about 0.3 % of the variance; the correction is about 4 %.
            assertEquals(newVariance, scaledOwnVariance, 0.01 * newVariance, what);
            assertTrue(newVariance > 1.02 * ownVariance, what);
        }
    }
}
