package io.resalign.service;

import ai.djl.Device;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.DeviceChoice;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.model.ModelManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * Keeps the model directories of one models root and the status of each, and makes one attempt at
 * loading a directory: read its manifest, refuse a model version another directory owns, open its
 * network and engine, check it, and hand it to the registry to serve; or record why not, with one
 * more attempt and the time the next one is due ({@link LoadBackoff}).
 */
final class ModelDirectories {
    /** Makes a loaded model version serve and records its status; fails when the registry is closed. */
    interface Publisher {
        ModelStatus publish(ModelVersion key, LoadedModel model, ModelStatus status);
    }

    private final Path root;
    private final Device device;
    private final EngineOptions options;
    private final int maxBatch;
    private final LoadBackoff backoff;
    private final List<Path> directories;
    private final Map<Path, ModelStatus> statuses = new ConcurrentHashMap<>();

    ModelDirectories(Path root, Device device, EngineOptions options, int maxBatch, LoadBackoff backoff) throws IOException {
        this.root = root;
        this.device = device;
        this.options = options;
        this.maxBatch = maxBatch;
        this.backoff = backoff;
        this.directories = ModelLoader.modelDirectories(root);
    }

    /** Returns the directories found at start, in directory order. */
    List<Path> all() {
        return directories;
    }

    /** Returns the status of a directory; null before its first attempt or for one not found at start. */
    ModelStatus status(Path dir) {
        return statuses.get(dir);
    }

    /** Returns every directory's status, in directory order. */
    List<ModelStatus> statuses() {
        return directories.stream().map(statuses::get).toList();
    }

    /** Records a directory's status. */
    void put(ModelStatus status) {
        statuses.put(status.directory(), status);
    }

    /** Returns the failed directories whose next attempt is due at {@code nowMillis}, in directory order. */
    List<Path> due(long nowMillis) {
        return directories.stream().filter(d -> {
            ModelStatus s = statuses.get(d);
            return s != null && !s.loaded() && s.nextAttemptMillis() <= nowMillis;
        }).toList();
    }

    /**
     * Makes attempt number {@code attempt} at loading {@code dir} at {@code nowMillis}: on success the
     * status {@code publisher} returns, else the failed status (also recorded).
     */
    ModelStatus attempt(Path dir, int attempt, long nowMillis, BiConsumer<ModelVersion, FeatureSchema> admit, Publisher publisher) {
        long start = System.nanoTime();
        String label = DeviceChoice.label(device);
        String model = root.relativize(dir).toString();
        String version = ModelStatus.UNKNOWN_VERSION;
        int classes = 0;
        try {
            ModelManifest manifest = ModelManifest.read(dir);
            model = manifest.name();
            version = manifest.version();
            classes = manifest.numClasses();
            ModelVersion key = new ModelVersion(model, version);
            Optional<Path> owner = owner(key, dir);
            if (owner.isPresent()) {
                throw new IOException("model " + model + " version " + version + " is also declared by " + owner.get()
                        + "; the first one found is served");
            }
            LoadedModel one = ModelLoader.open(manifest, dir, device, options, maxBatch);
            try {
                admit.accept(key, one.schema());
            } catch (IllegalArgumentException e) {
                one.close();
                throw e;
            }
            return publisher.publish(key, one, new ModelStatus(model, version, dir, ModelStatus.State.LOADED, label, millisSince(start),
                    "", classes, one.blocks(), attempt, 0));
        } catch (IOException | RuntimeException e) {
            ModelStatus failed = new ModelStatus(model, version, dir, ModelStatus.State.FAILED, label, millisSince(start),
                    ModelLoader.describe(e), classes, List.of(), attempt, nowMillis + backoff.delayAfter(attempt).toMillis());
            put(failed);
            return failed;
        }
    }

    /**
     * Returns the directory a model version belongs to when it is not {@code dir}: one that serves
     * it, or one found before {@code dir} that declares it (the first one found is served).
     */
    private Optional<Path> owner(ModelVersion key, Path dir) {
        return directories.stream().filter(d -> !d.equals(dir)).filter(d -> {
            ModelStatus s = statuses.get(d);
            return s != null && s.model().equals(key.model()) && s.version().equals(key.version())
                    && (s.loaded() || d.compareTo(dir) < 0);
        }).findFirst();
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
