package io.resalign.service;

import io.resalign.drift.DriftSettings;
import io.resalign.drift.DriftDetector;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.FeatureVector;
import io.resalign.drift.ModelVersion;
import io.resalign.drift.ReferenceState;
import io.resalign.engine.DeviceChoice;
import io.resalign.engine.EngineOptions;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Prints (does not assert) what the drift test's first use costs on the stream thread at the
 * production defaults for a model's feature schema: the bootstrap calibration of the first window
 * size after the reference completes (docs/drift.md, "Calibration cost"). Not a test: run it by hand,
 *
 * <pre>java -cp target/classes:target/test-classes:$(cat cp.txt) io.resalign.service.CalibrationCost [models/demo-mlp] [replicates]</pre>
 */
public final class CalibrationCost {
    private CalibrationCost() {
    }

    /** Measures the calibration of the first model version found under the given directory. */
    public static void main(String[] args) throws Exception {
        Path models = Path.of(args.length > 0 ? args[0] : "models/demo-mlp");
        DriftSettings defaults = DriftSettings.defaults();
        DriftSettings settings = args.length > 1 ? defaults.withBootstrapReplicates(Integer.parseInt(args[1])) : defaults;
        FeatureSchema schema;
        ModelVersion mv;
        try (ModelRegistry registry = ModelRegistry.load(models, DeviceChoice.CPU, EngineOptions.defaults())) {
            mv = registry.loaded().get(0);
            schema = registry.schema(mv);
        }
        // The cost depends on the sizes only (replicates x window x features), not on the values.
        SplittableRandom random = new SplittableRandom(7);
        ReferenceState reference = new ReferenceState(schema, settings.referenceSize());
        for (int i = 0; reference.isCollecting(); i++) {
            double[] values = new double[schema.size()];
            for (int f = 0; f < values.length; f++) {
                values[f] = random.nextGaussian();
            }
            reference.offer(new FeatureVector(schema, values), i);
        }
        for (int run = 0; run < 3; run++) {
            long start = System.nanoTime();
            DriftDetector test = new DriftDetector(mv, reference.profile().orElseThrow(), settings);
            double threshold = test.threshold(settings.windowSize());
            System.out.printf(Locale.ROOT, "%s: %d features, reference %d, window %d, alpha %g, %d replicates: calibration %.2f s"
                    + " (threshold %.4f)%n", mv.model() + ":" + mv.version(), schema.size(), settings.referenceSize(),
                    settings.windowSize(), settings.falseAlarmRate(), settings.effectiveReplicates(),
                    (System.nanoTime() - start) / 1e9, threshold);
        }
    }
}
