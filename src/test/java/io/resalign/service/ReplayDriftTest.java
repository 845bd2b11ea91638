package io.resalign.service;

import io.resalign.engine.DeviceChoice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.DriftSettings;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.EngineOptions;
import io.resalign.sample.file.SampleBatch;
import io.resalign.sample.file.SampleReaders;
import io.resalign.sample.SampleRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The service core end to end on the real engine: the bundled demo-mlp's 64 test images, cycled
 * into a stream of 600 records at one per second, go through the micro-batcher, the registry's
 * engine and the monitor. The first 128 samples are the reference; from sample 320 on, every pixel
 * gets Gaussian noise of 255 grey levels (the images themselves are 0..255). Windows of 64 samples
 * that repeat the reference's images must not alarm, noisy ones must.
 *
 * <p>The clean windows hold exactly the images of the reference, so their statistic is near 0 and
 * the decision cannot flip by chance; the noise moves every metric by many reference standard
 * deviations. The first alarming report is written to target/reports/example-report.json, the
 * example of docs/reports.md.
 */
class ReplayDriftTest {
    private static final Path MODEL = Path.of("models/demo-mlp");
    private static final ModelVersion MV = new ModelVersion("demo-mlp", "1");
    private static final long START = Instant.parse("2026-11-27T10:00:00Z").toEpochMilli();
    private static final int SAMPLES = 600;
    private static final int NOISY_FROM = 320;
    /** Grey levels; measured: 80 gives statistics of 4.0-4.5 against a threshold of 3.8, 160 about 7, 255 about 9. */
    private static final double NOISE_SD = 255;
    private static final DriftSettings SETTINGS = DriftSettings.defaults()
            .withReferenceSize(128).withWindow(64, 64).withFalseAlarmRate(0.01).withBootstrapReplicates(2_000);

    @Test
    void shouldAlarmOnlyOnTheNoisyWindowsWhenTheDemoModelReplaysCleanThenNoisyImages() throws Exception {
        SampleBatch images = SampleReaders.readLabelled(MODEL.resolve("samples.npy"), MODEL.resolve("labels.npy"));
        List<SampleRecord> stream = stream(images);
        List<AlignmentReport> reports = new ArrayList<>();

        try (ModelRegistry registry = ModelRegistry.load(MODEL, DeviceChoice.AUTO, EngineOptions.defaults())) {
            ModelMonitor monitor = new ModelMonitor(MV, registry.schema(MV), SETTINGS, registry.deviceLabel());
            MicroBatcher batcher = new MicroBatcher(32, 5_000, 0);
            for (int i = 0; i < stream.size(); i++) {
                long now = 10L * i;   // wall clock of the replica: 100 records per second
                batcher.poll(now).ifPresent(b -> reports.addAll(monitor.acceptAll(b, registry.analyse(MV, b))));
                batcher.add(stream.get(i), now).ifPresent(b -> reports.addAll(monitor.acceptAll(b, registry.analyse(MV, b))));
            }
            batcher.drain().ifPresent(b -> reports.addAll(monitor.acceptAll(b, registry.analyse(MV, b))));
            assertEquals(SAMPLES, monitor.samplesSeen());
            assertEquals(128, monitor.referenceProfile().orElseThrow().sampleCount());
        }

        assertEquals(7, reports.size(), "(600 - 128) / 64 complete windows after the reference");
        for (AlignmentReport r : reports) {
            System.out.printf("window %d..%d: statistic %.2f, threshold %.2f, alarm %d, top %s, accuracy %.3f;"
                    + " output statistic %.2f, threshold %.2f, alarm %d, entropy %.3f (reference %.3f)%n", r.window().firstSample(),
                    r.window().lastSample(), r.drift().statistic(), r.drift().threshold(), r.drift().alarm(),
                    r.drift().topFeatures().get(0).feature(), r.output().accuracy(), r.outputDrift().statistic(),
                    r.outputDrift().threshold(), r.outputDrift().alarm(), entropy(r).windowMean(), entropy(r).referenceMean());
            boolean noisy = r.window().firstSample() >= NOISY_FROM;
            assertEquals(noisy ? 1 : 0, r.drift().alarm(), "window " + r.window() + ": statistic " + r.drift().statistic()
                    + ", threshold " + r.drift().threshold());
            if (!noisy) {
                assertEquals(0, r.outputDrift().alarm(), "the reference's own images: output statistic " + r.outputDrift().statistic());
            }
        }
        AlignmentReport first = reports.get(0);
        assertEquals(new AlignmentReport.Window(time(128), time(191), 128, 191, 64, 64, 64), first.window());
        assertEquals(new AlignmentReport.Reference("first_samples", time(127), 128, 64.0), first.reference());
        assertTrue(first.drift().statistic() < 1, "a window of the reference's own images: " + first.drift().statistic());
        assertEquals(64, first.output().labelledCount());
        assertTrue(first.output().accuracy() >= 0.8, "the demo model classifies its own test images: " + first.output().accuracy());
        assertNull(first.output().servedAgreement(), "the records carry no served prediction");
        AlignmentReport noisy = reports.stream().filter(r -> r.drift().alarm() == 1).findFirst().orElseThrow();
        assertEquals(NOISY_FROM, noisy.window().firstSample());
        assertTrue(noisy.output().accuracy() < first.output().accuracy(), "noise costs accuracy");
        assertEquals(noisy, AlignmentReport.fromJson(noisy.toJson()));
        Path example = Path.of("target/reports/example-report.json");
        Files.createDirectories(example.getParent());
        Files.writeString(example, noisy.toPrettyJson() + "\n");
    }

    private static AlignmentReport.OutputFeatureScore entropy(AlignmentReport r) {
        return r.outputDrift().features().stream().filter(f -> f.feature().equals("output_entropy")).findFirst().orElseThrow();
    }

    private static long time(int i) {
        return START + 1_000L * i;
    }

    /** The images cycled to 600 records, with noise from {@link #NOISY_FROM} on, labels attached. */
    private static List<SampleRecord> stream(SampleBatch images) {
        Random noise = new Random(7);
        List<SampleRecord> out = new ArrayList<>(SAMPLES);
        for (int i = 0; i < SAMPLES; i++) {
            int image = i % images.size();
            float[] pixels = images.sample(image).clone();
            if (i >= NOISY_FROM) {
                for (int p = 0; p < pixels.length; p++) {
                    pixels[p] += (float) (NOISE_SD * noise.nextGaussian());
                }
            }
            out.add(new SampleRecord(MV.model(), MV.version(), "img-" + image + "@" + i, time(i), pixels, images.sampleShape(),
                    Optional.empty(), OptionalInt.of(images.labels()[image])));
        }
        return out;
    }
}
