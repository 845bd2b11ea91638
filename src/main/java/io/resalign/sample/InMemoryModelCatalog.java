package io.resalign.sample;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/** Keeps model specs in a map: for tests, and for catalogs assembled by other code. */
public final class InMemoryModelCatalog implements ModelCatalog {
    private final Map<String, Map<String, ModelSpec>> byName = new TreeMap<>();

    /** Creates a catalog of the given specs; a repeated name and version is an error. */
    public InMemoryModelCatalog(Iterable<ModelSpec> specs) {
        for (ModelSpec s : specs) {
            ModelSpec previous = byName.computeIfAbsent(s.name(), n -> new TreeMap<>()).putIfAbsent(s.version(), s);
            if (previous != null) {
                throw new IllegalArgumentException("model " + s.name() + " version " + s.version() + " is given twice");
            }
        }
    }

    /** Creates a catalog of the given specs. */
    public static InMemoryModelCatalog of(ModelSpec... specs) {
        return new InMemoryModelCatalog(java.util.List.of(specs));
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
