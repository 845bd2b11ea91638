package io.resalign.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.Device;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.model.ModelManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code Train} command line end to end on a small subset: its output is a model directory the engine loads. */
class TrainCliTest {

    @Test
    void trainsAndWritesALoadableModelDirectory(@TempDir Path tmp) throws Exception {
        FashionMnistFixture.dir();
        Path out = tmp.resolve("cli-mlp");
        Train.main(new String[] {"--dataset", "fashion-mnist", "--width", "16", "--depth", "2", "--batch-norm", "true", "--skip", "false",
                "--post-activation", "relu", "--epochs", "1", "--batch", "50", "--lr", "0.01", "--optimizer", "sgd", "--schedule", "step",
                "--seed", "3", "--limit", "200", "--out", out.toString()});
        ModelManifest manifest = ModelManifest.read(out);
        assertEquals("cli-mlp", manifest.name());
        assertEquals(16, manifest.hyperparameters().getInt("width", null));
        assertFalse(manifest.hyperparameters().getBoolean("skip", true));
        assertEquals("relu", manifest.hyperparameters().getChoice("post_activation", "identity", java.util.Set.of("identity", "relu")));
        assertEquals("sgd", manifest.raw().at("/training/optimizer").asText());
        assertEquals(0.9, manifest.raw().at("/training/momentum").asDouble(), 1e-6);
        assertEquals(200, manifest.raw().at("/training/train_samples").asInt());
        try (ResidualNetwork network = Architectures.load(out, Device.cpu())) {
            assertEquals(2, network.blocks().size());
        }
    }
}
