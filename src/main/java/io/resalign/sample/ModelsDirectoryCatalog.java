package io.resalign.sample;

import io.resalign.engine.model.ModelManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.stream.Stream;

/**
 * Reads the catalog from a models directory: every directory at depth one or two that holds a
 * {@code manifest.json} is a model version ({@code models/fashion-mlp/} or
 * {@code models/fashion-mlp/2/}); the manifest's {@code name} and {@code version} identify it,
 * not the directory name. Only manifests are read, never weights.
 */
public final class ModelsDirectoryCatalog implements ModelCatalog {
    private final InMemoryModelCatalog specs;
    private final Map<String, Path> directories;

    private ModelsDirectoryCatalog(InMemoryModelCatalog specs, Map<String, Path> directories) {
        this.specs = specs;
        this.directories = directories;
    }

    /**
     * Reads every manifest under {@code root}.
     *
     * @param root the models directory
     * @param maxBatch the most samples one record may carry for any model
     * @return the catalog
     * @throws IOException when the directory cannot be read, a manifest is invalid, or two
     *     directories declare the same name and version (both are named)
     */
    public static ModelsDirectoryCatalog read(Path root, int maxBatch) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException(root + " is not a directory of models");
        }
        List<Path> manifests;
        try (Stream<Path> files = Files.walk(root, 3)) {
            manifests = files.filter(p -> p.getFileName().toString().equals(ModelManifest.FILE))
                    .filter(p -> root.relativize(p).getNameCount() <= 3)
                    .sorted()
                    .toList();
        }
        List<ModelSpec> list = new ArrayList<>();
        Map<String, Path> dirs = new HashMap<>();
        for (Path manifestFile : manifests) {
            Path dir = manifestFile.getParent();
            ModelManifest m = ModelManifest.read(dir);
            String key = key(m.name(), m.version());
            Path other = dirs.putIfAbsent(key, dir);
            if (other != null) {
                throw new IOException("model " + m.name() + " version " + m.version() + " is declared by both "
                        + other + " and " + dir);
            }
            list.add(ModelSpec.of(m.name(), m.version(), m.input().shape(), m.numClasses(), maxBatch));
        }
        return new ModelsDirectoryCatalog(new InMemoryModelCatalog(list), Map.copyOf(dirs));
    }

    /** Reads every manifest under {@code root} with the default batch limit. */
    public static ModelsDirectoryCatalog read(Path root) throws IOException {
        return read(root, ModelSpec.DEFAULT_MAX_BATCH);
    }

    /** Returns the directory of a model version, for the code that loads its weights. */
    public Optional<Path> directory(String name, String version) {
        return Optional.ofNullable(directories.get(key(name, version)));
    }

    private static String key(String name, String version) {
        return name + '\n' + version;
    }

    @Override
    public Optional<ModelSpec> find(String name, String version) {
        return specs.find(name, version);
    }

    @Override
    public SortedSet<String> versions(String name) {
        return specs.versions(name);
    }

    @Override
    public SortedSet<String> names() {
        return specs.names();
    }
}
