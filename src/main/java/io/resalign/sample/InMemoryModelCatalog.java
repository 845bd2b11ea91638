package io.resalign.sample;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Keeps model specs in a map: for tests, for catalogs assembled by other code, and for a catalog
 * that grows while it is read (the model registry adds a model version that a retry loads, while
 * the stream threads' decoders look names up). Thread-safe.
 */
public final class InMemoryModelCatalog implements ModelCatalog {
    private final Map<String, Map<String, ModelSpec>> byName = new ConcurrentSkipListMap<>();

    /** Creates a catalog of the given specs; a repeated name and version is an error. */
    public InMemoryModelCatalog(Iterable<ModelSpec> specs) {
        for (ModelSpec s : specs) {
            add(s);
        }
    }

    /** Creates a catalog of the given specs. */
    public static InMemoryModelCatalog of(ModelSpec... specs) {
        return new InMemoryModelCatalog(java.util.List.of(specs));
    }

    /** Adds a spec, visible to every reader from now on; a name and version already there is an error. */
    public void add(ModelSpec s) {
        ModelSpec previous = byName.computeIfAbsent(s.name(), n -> new ConcurrentSkipListMap<>()).putIfAbsent(s.version(), s);
        if (previous != null) {
            throw new IllegalArgumentException("model " + s.name() + " version " + s.version() + " is given twice");
        }
    }

    @Override
    public Optional<ModelSpec> find(String name, String version) {
        return Optional.ofNullable(byName.getOrDefault(name, Map.of()).get(version));
    }

    @Override
    public SortedSet<String> versions(String name) {
        return Collections.unmodifiableSortedSet(new TreeSet<>(byName.getOrDefault(name, Map.of()).keySet()));
    }

    @Override
    public SortedSet<String> names() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(byName.keySet()));
    }
}
