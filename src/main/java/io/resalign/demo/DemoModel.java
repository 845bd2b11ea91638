package io.resalign.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SortedSet;

import io.resalign.sample.ModelSpec;
import io.resalign.sample.ModelsDirectoryCatalog;

/**
 * The model the demo sends samples for: its name, version and input shape from its manifest in a
 * models directory, and its directory (for the bundled samples).
 */
public record DemoModel(String name, String version, long[] sampleShape, Path directory) {

    /**
     * Finds model {@code name} in {@code modelsDir}; when it has several versions, the last in the
     * catalog's order.
     *
     * @throws IOException if the directory cannot be read or has no such model
     */
    public static DemoModel find(Path modelsDir, String name) throws IOException {
        ModelsDirectoryCatalog catalog = ModelsDirectoryCatalog.read(modelsDir);
        SortedSet<String> versions = catalog.versions(name);
        if (versions.isEmpty()) {
            throw new IOException("no model '" + name + "' in " + modelsDir.toAbsolutePath() + " (it has " + catalog.names() + ")");
        }
        String version = versions.last();
        ModelSpec spec = catalog.find(name, version).orElseThrow();
        Path dir = catalog.directory(name, version).orElseThrow();
        return new DemoModel(name, version, spec.sampleShape(), dir);
    }

    /** Returns the number of values of one input. */
    public int sampleLength() {
        long n = 1;
        for (long d : sampleShape) {
            n *= d;
        }
        return Math.toIntExact(n);
    }
}
