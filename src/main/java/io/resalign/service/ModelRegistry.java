package io.resalign.service;

import io.resalign.engine.DeviceChoice;

import ai.djl.Device;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.AlignmentEngine;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.model.ModelManifest;
import io.resalign.sample.InMemoryModelCatalog;
import io.resalign.sample.ModelCatalog;
import io.resalign.sample.ModelSpec;
import io.resalign.sample.SampleRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Holds the models one replica serves: every model version found in a models directory, each
 * loaded onto one device with its own {@link AlignmentEngine}, and the status of each load.
 *
 * <p>Model directories are found as {@link io.resalign.sample.ModelsDirectoryCatalog} finds
 * them (a {@code manifest.json} at depth one or two; the manifest's name and version identify the
 * model version), but each one is read and loaded on its own: a directory whose manifest or weights
 * are unusable is reported {@link ModelStatus.State#FAILED} with the reason and the others still
 * serve. {@link #catalog()} names only the loaded versions, so records for a failed one go to the
 * dead-letter topic as unknown and can be replayed once the directory is fixed.
 *
 * <p>An engine is not thread-safe: {@link #analyse} serialises calls per model version, while
 * different model versions may run in parallel. {@link #close()} releases every engine and weight.
 */
public final class ModelRegistry implements AutoCloseable {
    private final Device device;
    private final Map<ModelVersion, Served> served;
    private final List<ModelStatus> statuses;
    private final ModelCatalog catalog;
    private volatile boolean closed;

    /** One loaded model version; its monitor lock serialises the engine. */
    private record Served(ModelManifest manifest, ResidualNetwork network, AlignmentEngine engine, FeatureSchema schema,
            List<ModelStatus.Block> blocks, AtomicLong engineNanos, AtomicLong engineSamples) {}

    private ModelRegistry(Device device, Map<ModelVersion, Served> served, List<ModelStatus> statuses, ModelCatalog catalog) {
        this.device = device;
        this.served = served;
        this.statuses = statuses;
        this.catalog = catalog;
    }

    /** Loads every model version under {@code root}, allowing records of up to {@link ModelSpec#DEFAULT_MAX_BATCH} samples. */
    public static ModelRegistry load(Path root, DeviceChoice choice, EngineOptions options) throws IOException {
        return load(root, choice, options, ModelSpec.DEFAULT_MAX_BATCH);
    }

    /**
     * Loads every model version under {@code root}.
     *
     * @param root the models directory
     * @param choice where the engines run
     * @param options engine options shared by all models
     * @param maxBatch the most samples one record may carry (for the catalog's specs)
     * @return the registry; failed directories are in {@link #statuses()}
     * @throws IOException when {@code root} is not a readable directory
     * @throws IllegalStateException when {@code gpu} is requested and PyTorch sees no GPU
     */
    public static ModelRegistry load(Path root, DeviceChoice choice, EngineOptions options, int maxBatch) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException(root + " is not a directory of models");
        }
        Device device = choice.resolve();
        String label = DeviceChoice.label(device);
        Map<ModelVersion, Served> served = new LinkedHashMap<>();
        Map<ModelVersion, Path> declared = new LinkedHashMap<>();
        List<ModelStatus> statuses = new ArrayList<>();
        List<ModelSpec> specs = new ArrayList<>();
        for (Path dir : modelDirectories(root)) {
            long start = System.nanoTime();
            String model = root.relativize(dir).toString();
            String version = ModelStatus.UNKNOWN_VERSION;
            int classes = 0;
            try {
                ModelManifest manifest = ModelManifest.read(dir);
                model = manifest.name();
                version = manifest.version();
                classes = manifest.numClasses();
                ModelVersion key = new ModelVersion(model, version);
                Path other = declared.putIfAbsent(key, dir);
                if (other != null) {
                    throw new IOException("model " + model + " version " + version + " is also declared by " + other
                            + "; the first one found is served");
                }
                Served one = open(manifest, dir, device, options);
                served.put(key, one);
                specs.add(ModelSpec.of(model, version, manifest.input().shape(), manifest.numClasses(), maxBatch));
                statuses.add(new ModelStatus(model, version, dir, ModelStatus.State.LOADED, label, millisSince(start), "", classes,
                        one.blocks()));
            } catch (IOException | RuntimeException e) {
                statuses.add(new ModelStatus(model, version, dir, ModelStatus.State.FAILED, label, millisSince(start), describe(e),
                        classes));
            }
        }
        return new ModelRegistry(device, served, List.copyOf(statuses), new InMemoryModelCatalog(specs));
    }

    private static Served open(ModelManifest manifest, Path dir, Device device, EngineOptions options) throws IOException {
        ResidualNetwork network = Architectures.load(dir, device);
        try {
            AlignmentEngine engine = new AlignmentEngine(network, options);
            List<ResidualBlock> watched = watchedBlocks(network);
            return new Served(manifest, network, engine, FeatureSchema.forBlocks(watched.stream().map(ResidualBlock::name).toList()),
                    watched.stream().map(b -> new ModelStatus.Block(b.name(), b.stage(), b.kind())).toList(), new AtomicLong(),
                    new AtomicLong());
        } catch (RuntimeException e) {
            network.close();
            throw e;
        }
    }

    /** Returns the watched blocks in engine order (the order of the engine's per-block metrics). */
    private static List<ResidualBlock> watchedBlocks(ResidualNetwork network) {
        ModelManifest manifest = network.manifest();
        return network.blocks().stream()
                .filter(b -> manifest.watchesAll() || manifest.watch().contains(b.name()))
                .toList();
    }

    private static List<Path> modelDirectories(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root, 3)) {
            return files.filter(p -> p.getFileName().toString().equals(ModelManifest.FILE))
                    .filter(p -> root.relativize(p).getNameCount() <= 3)
                    .map(Path::getParent)
                    .sorted()
                    .toList();
        }
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static String describe(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
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
        Served one = served(modelVersion);
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
        Served one = served.get(modelVersion);
        return one == null ? 0 : one.engineNanos().get();
    }

    /** Returns the mean engine seconds per sample of a model version so far; NaN before its first batch or when not loaded. */
    public double engineSecondsPerSample(ModelVersion modelVersion) {
        Served one = served.get(modelVersion);
        long samples = one == null ? 0 : one.engineSamples().get();
        return samples == 0 ? Double.NaN : one.engineNanos().get() / 1e9 / samples;
    }

    /** Returns the feature schema of a loaded model version (its watched blocks in engine order). */
    public FeatureSchema schema(ModelVersion modelVersion) {
        return served(modelVersion).schema();
    }

    private Served served(ModelVersion modelVersion) {
        Served one = served.get(modelVersion);
        if (one == null) {
            String why = status(modelVersion).map(s -> ": loading failed: " + s.reason()).orElse(": no such model version; loaded are "
                    + served.keySet());
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

    /** Returns the status of every model directory found, loaded or failed, in directory order. */
    public List<ModelStatus> statuses() {
        return statuses;
    }

    /** Returns the status of one model version, if a directory declared it. */
    public Optional<ModelStatus> status(ModelVersion modelVersion) {
        return statuses.stream()
                .filter(s -> s.model().equals(modelVersion.model()) && s.version().equals(modelVersion.version()))
                .findFirst();
    }

    /** Returns the catalog of the loaded model versions, for the record decoder. */
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
        for (Served one : served.values()) {
            synchronized (one) {
                one.engine().close();
                one.network().close();
            }
        }
    }
}
