package io.resalign.service;

import ai.djl.Device;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.DeviceChoice;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.sample.InMemoryModelCatalog;
import io.resalign.sample.ModelCatalog;
import io.resalign.sample.ModelSpec;
import io.resalign.sample.SampleRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * Holds the models one replica serves: every model version found in a models directory, each
 * loaded onto one device with its own {@code AlignmentEngine}, and the status of each load.
 *
 * <p>Model directories are found as {@link io.resalign.sample.ModelsDirectoryCatalog} finds
 * them (a {@code manifest.json} at depth one or two; the manifest's name and version identify the
 * model version), but each one is read and loaded on its own: a directory whose manifest or weights
 * are unusable is reported {@link ModelStatus.State#FAILED} with the reason and the others still
 * serve. A failed directory is tried again with back-off ({@link LoadBackoff}, through
 * {@link #due} and {@link #retry}, which a background thread calls); an unreadable or invalid
 * manifest is retried like unreadable weights, since the operator may fix the file. The directories
 * are those found at load: one added later is not looked for. {@link #catalog()} names the loaded
 * versions at the moment it is asked, so records for a failed one go to the dead-letter topic as
 * unknown until a retry loads it, and are accepted from then on.
 *
 * <p>Thread-safe: the stream threads analyse while the retry thread loads. An engine is not
 * thread-safe, so {@link #analyse} serialises calls per model version, while different model
 * versions may run in parallel; a model version that a retry loads is published whole (engine,
 * status, catalog) under the registry's lock. {@link #close()} releases every engine and weight.
 */
public final class ModelRegistry implements AutoCloseable {
    private final Device device;
    private final ModelDirectories directories;
    private final Map<ModelVersion, LoadedModel> served = new ConcurrentHashMap<>();
    /** What the decoder holds: it grows as model versions load, so a retry's load lets their records in. */
    private final InMemoryModelCatalog catalog = new InMemoryModelCatalog(List.of());
    private final Object retrying = new Object();
    private volatile boolean closed;

    private ModelRegistry(Device device, ModelDirectories directories) {
        this.device = device;
        this.directories = directories;
    }

    /** Loads every model version under {@code root}, allowing records of up to {@link ModelSpec#DEFAULT_MAX_BATCH} samples. */
    public static ModelRegistry load(Path root, DeviceChoice choice, EngineOptions options) throws IOException {
        return load(root, choice, options, ModelSpec.DEFAULT_MAX_BATCH);
    }

    /** Loads every model version under {@code root} now, with the default back-off for failed directories. */
    public static ModelRegistry load(Path root, DeviceChoice choice, EngineOptions options, int maxBatch) throws IOException {
        return load(root, choice, options, maxBatch, LoadBackoff.DEFAULT, System.currentTimeMillis());
    }

    /**
     * Loads every model version under {@code root}.
     *
     * @param root the models directory
     * @param choice where the engines run
     * @param options engine options shared by all models
     * @param maxBatch the most samples one record may carry (for the catalog's specs)
     * @param backoff when failed directories are tried again
     * @param nowMillis the wall-clock time of this first attempt, from which the first retry is due
     * @return the registry; failed directories are in {@link #statuses()}
     * @throws IOException when {@code root} is not a readable directory
     * @throws IllegalStateException when {@code gpu} is requested and PyTorch sees no GPU
     */
    public static ModelRegistry load(Path root, DeviceChoice choice, EngineOptions options, int maxBatch, LoadBackoff backoff,
            long nowMillis) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException(root + " is not a directory of models");
        }
        Device device = choice.resolve();
        ModelRegistry registry = new ModelRegistry(device, new ModelDirectories(root, device, options, maxBatch, backoff));
        for (Path dir : registry.directories.all()) {
            registry.directories.attempt(dir, 1, nowMillis, (mv, schema) -> { }, registry::publish);
        }
        return registry;
    }

    /** Returns the failed directories whose next attempt is due at {@code nowMillis}, in directory order. */
    public List<Path> due(long nowMillis) {
        return directories.due(nowMillis);
    }

    /**
     * Tries a failed directory again. On success its model version serves at once: its engine, its
     * status and the catalog are published together. On failure the status gets the new reason, one
     * more attempt and the next due time ({@link LoadBackoff#delayAfter} the attempts so far, from
     * {@code nowMillis}). Calls are serialised; a directory that is loaded meanwhile is left alone.
     *
     * @param dir one of the directories {@link #statuses()} lists
     * @param nowMillis the wall-clock time of this attempt
     * @param admit checks a model version before it serves; an {@link IllegalArgumentException} it
     *     throws fails the attempt with its message (the checks that the topology makes at start
     *     for the versions loaded then)
     * @return the directory's status after the attempt
     */
    public ModelStatus retry(Path dir, long nowMillis, BiConsumer<ModelVersion, FeatureSchema> admit) {
        synchronized (retrying) {
            ModelStatus before = directories.status(dir);
            if (before == null) {
                throw new IllegalArgumentException(dir + " is not one of the model directories " + directories.all());
            }
            if (before.loaded() || closed) {
                return before;
            }
            return directories.attempt(dir, before.attempts() + 1, nowMillis, admit, this::publish);
        }
    }

    /** Makes a loaded model version serve: its engine first, then its status, then the catalog that lets its records in. */
    private synchronized ModelStatus publish(ModelVersion key, LoadedModel one, ModelStatus loaded) {
        if (closed) {
            one.close();
            throw new IllegalStateException("the model registry was closed while " + key.model() + ":" + key.version() + " loaded");
        }
        served.put(key, one);
        directories.put(loaded);
        catalog.add(one.spec());
        return loaded;
    }

    /**
     * Analyses a batch of records of one model version through its engine.
     *
     * @param modelVersion the model version every record must name
     * @param records one or more records whose data has the manifest's input shape
     * @return one result per record, in order ({@code index} is the position in the batch)
     * @throws IllegalArgumentException when the model version is not loaded, or a record names
     *     another model version or has another shape
     */
    public List<SampleMetrics> analyse(ModelVersion modelVersion, List<SampleRecord> records) {
        LoadedModel one = served(modelVersion);
        if (records.isEmpty()) {
            return List.of();
        }
        long[] shape = one.manifest().input().shape();
        int per = Math.toIntExact(one.manifest().input().size());
        float[] inputs = new float[Math.multiplyExact(per, records.size())];
        for (int i = 0; i < records.size(); i++) {
            SampleRecord r = records.get(i);
            if (!r.model().equals(modelVersion.model()) || !r.version().equals(modelVersion.version())) {
                throw new IllegalArgumentException("record " + r.id() + " is for " + r.model() + ":" + r.version()
                        + ", not for the batch's " + modelVersion.model() + ":" + modelVersion.version());
            }
            if (!Arrays.equals(r.shape(), shape)) {
                throw new IllegalArgumentException("record " + r.id() + " has shape " + Arrays.toString(r.shape()) + " but "
                        + modelVersion.model() + ":" + modelVersion.version() + " takes " + Arrays.toString(shape));
            }
            System.arraycopy(r.data(), 0, inputs, i * per, per);
        }
        synchronized (one) {
            if (closed) {
                throw new IllegalStateException("the model registry is closed");
            }
            long start = System.nanoTime();
            try {
                return one.engine().analyse(inputs, records.size(), 0);
            } finally {
                one.engineNanos().addAndGet(System.nanoTime() - start);
                one.engineSamples().addAndGet(records.size());
            }
        }
    }

    /**
     * Returns the engine time spent on a model version since loading, nanoseconds, measured inside
     * the engine lock (waiting for it does not count); 0 when the version is not loaded.
     */
    public long engineNanos(ModelVersion modelVersion) {
        LoadedModel one = served.get(modelVersion);
        return one == null ? 0 : one.engineNanos().get();
    }

    /** Returns the mean engine seconds per sample of a model version so far; NaN before its first batch or when not loaded. */
    public double engineSecondsPerSample(ModelVersion modelVersion) {
        LoadedModel one = served.get(modelVersion);
        long samples = one == null ? 0 : one.engineSamples().get();
        return samples == 0 ? Double.NaN : one.engineNanos().get() / 1e9 / samples;
    }

    /** Returns the feature schema of a loaded model version (its watched blocks in engine order). */
    public FeatureSchema schema(ModelVersion modelVersion) {
        return served(modelVersion).schema();
    }

    private LoadedModel served(ModelVersion modelVersion) {
        LoadedModel one = served.get(modelVersion);
        if (one == null) {
            String why = status(modelVersion).map(s -> ": loading failed: " + s.reason()).orElse(": no such model version; loaded are "
                    + loaded());
            throw new IllegalArgumentException(modelVersion.model() + ":" + modelVersion.version() + " is not loaded" + why);
        }
        return one;
    }

    /** Returns whether a model version is loaded and serving. */
    public boolean isLoaded(ModelVersion modelVersion) {
        return served.containsKey(modelVersion);
    }

    /** Returns the loaded model versions, by model name then version. */
    public List<ModelVersion> loaded() {
        return served.keySet().stream()
                .sorted(Comparator.comparing(ModelVersion::model).thenComparing(ModelVersion::version))
                .toList();
    }

    /** Returns the status of every model directory found, loaded or failed, in directory order, as of now. */
    public List<ModelStatus> statuses() {
        return directories.statuses();
    }

    /** Returns the status of one model version, if a directory declared it (the one that serves it, if any). */
    public Optional<ModelStatus> status(ModelVersion modelVersion) {
        List<ModelStatus> declared = statuses().stream()
                .filter(s -> s.model().equals(modelVersion.model()) && s.version().equals(modelVersion.version()))
                .toList();
        return declared.stream().filter(ModelStatus::loaded).findFirst().or(() -> declared.stream().findFirst());
    }

    /** Returns the catalog of the loaded model versions, for the record decoder: it follows the loads of retries. */
    public ModelCatalog catalog() {
        return catalog;
    }

    /** Returns the device every engine runs on. */
    public Device device() {
        return device;
    }

    /** Returns the device label ({@code cpu}, {@code gpu0}) for reports and metrics. */
    public String deviceLabel() {
        return DeviceChoice.label(device);
    }

    /** Releases every engine and the weights of every network; waits for running analyses. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        // set first: an analysis that starts later fails, one running now finishes before its lock is free
        closed = true;
        for (LoadedModel one : served.values()) {
            synchronized (one) {
                one.close();
            }
        }
    }
}
