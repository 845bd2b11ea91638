package io.resalign.service;

import ai.djl.Device;
import io.resalign.drift.FeatureSchema;
import io.resalign.engine.AlignmentEngine;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.model.ModelManifest;
import io.resalign.sample.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Finds the model directories under a models root and opens one of them onto a device: the
 * network from its manifest and weights, an engine over it, and what the registry serves it with.
 * Plain and stateless; {@link ModelRegistry} decides when and keeps the result.
 */
final class ModelLoader {
    private ModelLoader() {
    }

    /** Returns the directories with a {@code manifest.json} at depth one or two under {@code root}, sorted. */
    static List<Path> modelDirectories(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root, 3)) {
            return files.filter(p -> p.getFileName().toString().equals(ModelManifest.FILE))
                    .filter(p -> root.relativize(p).getNameCount() <= 3)
                    .map(Path::getParent)
                    .sorted()
                    .toList();
        }
    }

    /**
     * Opens a model directory whose manifest has been read.
     *
     * @param maxBatch the most samples one record may carry (for the catalog's spec)
     * @throws IOException when the weights cannot be read or do not fit the manifest
     */
    static LoadedModel open(ModelManifest manifest, Path dir, Device device, EngineOptions options, int maxBatch) throws IOException {
        ResidualNetwork network = Architectures.load(dir, device);
        try {
            AlignmentEngine engine = new AlignmentEngine(network, options);
            List<ResidualBlock> watched = watchedBlocks(network);
            ModelSpec spec = ModelSpec.of(manifest.name(), manifest.version(), manifest.input().shape(), manifest.numClasses(), maxBatch);
            return new LoadedModel(manifest, network, engine, FeatureSchema.forBlocks(watched.stream().map(ResidualBlock::name).toList()),
                    watched.stream().map(b -> new ModelStatus.Block(b.name(), b.stage(), b.kind())).toList(), spec, new AtomicLong(),
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

    /** Returns the message of a load failure, or its class when it has none. */
    static String describe(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
