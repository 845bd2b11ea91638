package io.resalign.repro;

import com.fasterxml.jackson.databind.JsonNode;
import io.resalign.engine.model.ModelManifest;
import io.resalign.train.LabelledImages;
import io.resalign.train.MlpTraining;
import io.resalign.train.TorchExport;
import io.resalign.train.TrainConfig;
import io.resalign.train.TrainedMlp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Trains the grid's models or loads them when a model directory with the same recipe exists: in
 * the cache folder under its recipe name, or one of the extra folders (e.g. the bundled
 * {@code models/demo-mlp}) whose manifest records exactly the recipe.
 */
final class ModelStore {
    private final Path cache;
    private final List<Path> extra;
    private final Consumer<String> log;

    /** Where a model came from. */
    record Located(Path directory, boolean trained, double trainingSeconds) {}

    ModelStore(Path cache, List<Path> extra, Consumer<String> log) {
        this.cache = cache;
        this.extra = List.copyOf(extra);
        this.log = log;
    }

    Located obtain(TrainConfig recipe, LabelledImages train, LabelledImages test) throws IOException {
        List<Path> candidates = new ArrayList<>();
        candidates.add(cache.resolve(recipe.name()));
        candidates.addAll(extra);
        for (Path dir : candidates) {
            if (matches(dir, recipe, train.size())) {
                log.accept("  loading " + dir + " (same recipe, not retrained)");
                return new Located(dir, false, ModelManifest.read(dir).raw().at("/training/training_seconds").asDouble(Double.NaN));
            }
        }
        Path dir = cache.resolve(recipe.name());
        log.accept("  training " + recipe.name() + " (" + train.size() + " images)");
        try (TrainedMlp trained = MlpTraining.train(recipe, train, test, line -> log.accept("    " + line))) {
            Files.createDirectories(dir);
            TorchExport.write(trained, dir);
            return new Located(dir, true, trained.seconds());
        }
    }

    /** Whether a model directory holds a model trained with exactly this recipe. */
    static boolean matches(Path dir, TrainConfig c, int trainSamples) {
        if (!Files.isRegularFile(dir.resolve(ModelManifest.FILE)) || !Files.isRegularFile(dir.resolve("model.safetensors"))) {
            return false;
        }
        try {
            JsonNode m = ModelManifest.read(dir).raw();
            JsonNode h = m.path("hyperparameters");
            JsonNode t = m.path("training");
            return m.path("architecture").asText().equals("resnet-mlp")
                    && h.path("width").asInt() == c.width()
                    && h.path("depth").asInt() == c.depth()
                    && h.path("batch_norm").asBoolean() == c.batchNorm()
                    && h.path("skip").asBoolean() == c.skip()
                    && h.path("post_activation").asText().equals(c.postActivation())
                    && t.path("dataset").asText().equals(c.dataset().id())
                    && t.path("train_samples").asInt() == trainSamples
                    && t.path("epochs").asInt() == c.epochs()
                    && t.path("batch_size").asInt() == c.batchSize()
                    && t.path("seed").asLong() == c.seed()
                    && t.path("optimizer").asText().equals(c.optimizer())
                    && Math.abs(t.path("learning_rate").asDouble() - c.learningRate()) < 1e-9
                    && t.path("lr_schedule").asText().equals(c.schedule())
                    && Math.abs(t.path("weight_decay").asDouble() - c.weightDecay()) < 1e-12;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
