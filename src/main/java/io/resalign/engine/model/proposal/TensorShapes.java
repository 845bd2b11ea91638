package io.resalign.engine.model.proposal;

import io.resalign.engine.model.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

/** Holds a weights file's tensor names and shapes in header order, read without the tensor data. */
public final class TensorShapes {
    private final Path source;
    private final Map<String, long[]> shapes;

    private TensorShapes(Path source, Map<String, long[]> shapes) {
        this.source = source;
        this.shapes = Collections.unmodifiableMap(new LinkedHashMap<>(shapes));
    }

    /**
     * Reads the header of a safetensors file.
     *
     * @param file the weights file
     * @return its names and shapes
     * @throws IOException when the file is not a well-formed safetensors file
     */
    public static TensorShapes read(Path file) throws IOException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Safetensors.header(file).forEach((name, entry) -> shapes.put(name, entry.shape()));
        return new TensorShapes(file, shapes);
    }

    /** Returns the file the shapes came from. */
    public Path source() {
        return source;
    }

    /** Returns the names in header order. */
    public Set<String> names() {
        return shapes.keySet();
    }

    /** Returns the shape of a tensor, or null when the file has none of that name. */
    public long[] shape(String name) {
        return shapes.get(name);
    }

    /** Returns the size of one axis of a tensor, or -1 when the tensor is absent or has fewer axes. */
    public long dim(String name, int axis) {
        long[] s = shapes.get(name);
        return s == null || s.length <= axis ? -1 : s[axis];
    }

    /** Returns how many consecutive indices 0, 1, .. have a tensor named {@code name.apply(i)}. */
    public int countFromZero(IntFunction<String> name) {
        int n = 0;
        while (shapes.containsKey(name.apply(n))) {
            n++;
        }
        return n;
    }
}
