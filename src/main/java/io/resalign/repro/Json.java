package io.resalign.repro;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JSON output of the reproduction: NaN and infinities are written as null (strict JSON for numpy/matplotlib). */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

    static Double num(double v) {
        return Double.isFinite(v) ? v : null;
    }

    static List<Double> nums(double[] v) {
        List<Double> out = new ArrayList<>(v.length);
        for (double x : v) {
            out.add(num(x));
        }
        return out;
    }

    static List<Object> matrix(double[][] m) {
        List<Object> out = new ArrayList<>(m.length);
        for (double[] row : m) {
            out.add(nums(row));
        }
        return out;
    }

    /** A record's components as an ordered map, in snake_case, doubles sanitised. */
    static Map<String, Object> record(Record r) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            try {
                Object v = c.getAccessor().invoke(r);
                if (v instanceof Double d) {
                    v = num(d);
                }
                out.put(snake(c.getName()), v);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    static String snake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    static void write(Path file, Object value, boolean pretty) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        (pretty ? PRETTY : MAPPER).writeValue(file.toFile(), value);
    }
}
