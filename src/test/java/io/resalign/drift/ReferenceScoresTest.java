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
}
