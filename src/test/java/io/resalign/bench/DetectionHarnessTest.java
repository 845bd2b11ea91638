package io.resalign.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.bench.DetectionStream.LabelledPixels;
import io.resalign.bench.DetectionStream.Scenario;
import io.resalign.bench.DetectionStream.Segment;
import io.resalign.train.Datasets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The detection benchmark in small, so that the harness cannot silently rot: one shift (strong
 * pixel noise), one detector (alignment drift), through the real broker and the service's topology
 * on the bundled demo model, with a generous bound on the delay.
 */
class DetectionHarnessTest {

    @Test
    void alignmentDriftDetectsStrongNoiseThroughThePipeline() throws Exception {
        assertTrue(Files.isDirectory(Datasets.FASHION_MNIST.defaultDir()), "Fashion-MNIST not found at "
                + Datasets.FASHION_MNIST.defaultDir() + ": install the Debian package dataset-fashion-mnist (.ci/run does)");
        LabelledPixels fashion = DetectionBenchmark.pixels(Datasets.FASHION_MNIST.test(Datasets.FASHION_MNIST.defaultDir()).head(1500),
                "Fashion-MNIST test head");
        List<Scenario> one = List.of(new Scenario("noise-80", DetectionStream.Transformed.parse("noise:sigma=80"), "strong noise"));
        int reference = 200;
        DetectionStream stream = DetectionStream.build(fashion, fashion, one, reference, 150, 300, 3);
        DetectionBenchmark.Settings s = DetectionBenchmark.Settings.parse(new String[] {"--reference", "200", "--window", "50",
                "--advance", "25", "--alpha", "0.01", "--gap", "150", "--shift", "300"});
        Map<String, List<WindowDecision>> decisions = DetectionPipeline.run(stream, DetectionBenchmark.config(s),
                s.model, n -> { });

        List<WindowDecision> alignment = decisions.get(DetectionPipeline.ALIGNMENT);
        int expected = DetectionPipeline.expectedWindows(stream.size(), reference, 50, 25);
        assertEquals((650 - 200 - 50) / 25 + 1, expected);
        assertEquals(expected, alignment.size(), "one report per window");
        for (int i = 0; i < alignment.size(); i++) {
            assertEquals(reference + 25 * i, alignment.get(i).first(), "window " + i + " starts where the hopping windows start");
            assertEquals(reference + 25 * i + 49, alignment.get(i).last());
        }
        Segment shift = stream.segment(0, Segment.Kind.SHIFT);
        OptionalInt delay = DetectionScore.delay(alignment, shift);
        assertTrue(delay.isPresent(), "noise sigma 80 must be detected within its 300 samples: " + alignment);
        assertTrue(delay.getAsInt() <= 300, "delay " + delay);
        DetectionScore.CleanWindows clean = DetectionScore.clean("alignment", alignment, stream.segments());
        assertEquals((150 - 50) / 25 + 1, clean.windows(), "windows wholly inside the clean gap");
    }
}
