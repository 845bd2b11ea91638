package io.resalign.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.ModelVersion;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The engine share, driven by a simulated clock and a simulated engine: samples are offered at a
 * steady rate, every admitted one costs its model's engine time, and the test measures the share of
 * wall-clock time the engine worked, computed from the admitted samples alone.
 */
class EngineBudgetTest {
    private static final ModelVersion SLOW = new ModelVersion("resnet50", "1");
    private static final ModelVersion SLOW_TOO = new ModelVersion("vit_b_16", "1");
    private static final ModelVersion FAST = new ModelVersion("demo-mlp", "1");

    /** A simulated engine: the cumulative engine time of each model version. */
    private static final class Engine {
        final Map<ModelVersion, Long> nanos = new HashMap<>();

        long nanos(ModelVersion mv) {
            return nanos.getOrDefault(mv, 0L);
        }

        void run(ModelVersion mv, double seconds) {
            nanos.merge(mv, Math.round(seconds * 1e9), Long::sum);
        }
    }

    /**
     * Offers {@code perSecond} samples per second of each model for {@code seconds}; an admitted one
     * is analysed at once at its cost. Returns the admitted count per model.
     */
    private static Map<ModelVersion, Integer> stream(EngineBudget budget, Engine engine, Map<ModelVersion, Double> cost,
            int perSecond, int seconds) {
        Map<ModelVersion, Integer> admitted = new HashMap<>();
        for (long t = 0; t < seconds * 1000L; t += 1000 / perSecond) {
            for (ModelVersion mv : cost.keySet()) {
                if (budget.admit(mv, t)) {
                    engine.run(mv, cost.get(mv));
                    admitted.merge(mv, 1, Integer::sum);
                }
            }
        }
        return admitted;
    }

    @Test
    void shouldKeepAModelWhoseSamplesCostSecondsToItsShareOfTheWallClock() {
        Engine engine = new Engine();
        EngineBudget budget = new EngineBudget(0.5, engine::nanos);
        int seconds = 3_600;

        Map<ModelVersion, Integer> admitted = stream(budget, engine, Map.of(SLOW, 2.0), 10, seconds);

        double busy = admitted.get(SLOW) * 2.0 / seconds;
        // the first minute's full account and one sample of overdraft are on top of the share
        double bound = 0.5 + (0.5 * 60 + 2.0) / seconds;
        assertTrue(busy <= bound && busy >= 0.5 - 2.0 / seconds * 60, "engine busy " + busy + " of the wall clock, share 0.5");
    }

    @Test
    void shouldSplitTheShareEvenlyAmongTheModelVersionsThatHaveSamples() {
        Engine engine = new Engine();
        EngineBudget budget = new EngineBudget(0.8, engine::nanos);
        int seconds = 3_600;
        Map<ModelVersion, Double> cost = new java.util.LinkedHashMap<>();
        cost.put(SLOW, 3.0);
        cost.put(SLOW_TOO, 1.0);

        Map<ModelVersion, Integer> admitted = stream(budget, engine, cost, 5, seconds);

        double slow = admitted.get(SLOW) * 3.0 / seconds;
        double slowToo = admitted.get(SLOW_TOO) * 1.0 / seconds;
        assertEquals(0.4, slow, 0.03, "each of two active models gets half of 0.8");
        assertEquals(0.4, slowToo, 0.03);
        assertTrue(slow + slowToo <= 0.8 + (0.8 * 60 + 4.0) / seconds, "together " + (slow + slowToo));
    }

    @Test
    void shouldGiveTheWholeShareBackToAModelWhenTheOtherStopsSendingForAWindow() {
        Engine engine = new Engine();
        EngineBudget budget = new EngineBudget(0.8, engine::nanos);
        Map<ModelVersion, Double> both = new java.util.LinkedHashMap<>();
        both.put(SLOW, 1.0);
        both.put(SLOW_TOO, 1.0);
        stream(budget, engine, both, 5, 600);
        long before = engine.nanos(SLOW);
        int admitted = 0;
        // the other model is silent from now on; after a window, SLOW's account fills at the whole share
        for (long t = 600_000 + EngineBudget.WINDOW_MILLIS; t < 600_000 + EngineBudget.WINDOW_MILLIS + 1_800_000; t += 200) {
            if (budget.admit(SLOW, t)) {
                engine.run(SLOW, 1.0);
                admitted++;
            }
        }
        assertEquals(0.8, admitted * 1.0 / 1_800, 0.05, "share of the wall clock once alone");
        assertTrue(engine.nanos(SLOW) > before);
    }

    @Test
    void shouldNeverSkipAModelThatCostsMillisecondsAtAnOrdinaryRate() {
        Engine engine = new Engine();
        EngineBudget budget = new EngineBudget(0.75, engine::nanos);

        Map<ModelVersion, Integer> admitted = stream(budget, engine, Map.of(FAST, 0.004), 100, 600);

        assertEquals(100 * 600, admitted.get(FAST), "a model at 0.4 of the engine is under its share");
    }

    @Test
    void shouldAdmitEverythingWithAShareOfZeroAndRefuseAShareOutsideZeroToOne() {
        Engine engine = new Engine();
        EngineBudget budget = new EngineBudget(0, engine::nanos);
        assertEquals(1_000, stream(budget, engine, Map.of(SLOW, 10.0), 10, 100).get(SLOW));
        for (double bad : List.of(-0.1, 1.5, Double.NaN)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new EngineBudget(bad, engine::nanos));
            assertTrue(e.getMessage().contains("engine share must be in [0, 1]"), e.getMessage());
        }
    }

    @Test
    void shouldRefillNothingWhenTheClockStepsBack() {
        Engine engine = new Engine();
        EngineBudget budget = new EngineBudget(0.5, engine::nanos);
        assertTrue(budget.admit(SLOW, 100_000));
        engine.run(SLOW, 40.0); // 30 s account overdrawn by 10 s
        assertTrue(!budget.admit(SLOW, 100_000));
        assertTrue(!budget.admit(SLOW, 50_000), "a clock 50 s back gives nothing");
        assertTrue(!budget.admit(SLOW, 119_000), "19 s after the last refill: 9.5 s of 10");
        assertTrue(budget.admit(SLOW, 121_000), "21 s: 10.5 s of 10");
    }
}
