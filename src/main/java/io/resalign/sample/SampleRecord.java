package io.resalign.sample;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Holds one validated sample: which model and version it was served by, its id and time, and its
 * input as float32 values in row-major order with the model's input shape (no batch axis).
 * The arrays are not copied: a decoded record owns them and nobody mutates them afterwards.
 *
 * @param model the model name, as in the model's manifest
 * @param version the model version, as in the manifest
 * @param id the request id; ids of a split batch carry the suffix {@code #i}
 * @param timestamp epoch milliseconds: the payload's timestamp, else the Kafka record's
 * @param data {@code prod(shape)} finite values, row-major
 * @param shape the model's {@code input.shape}
 * @param prediction what the model server answered, when the record says so
 * @param label the true class, when the record says so
 */
public record SampleRecord(
        String model,
        String version,
        String id,
        long timestamp,
        float[] data,
        long[] shape,
        Optional<ServedPrediction> prediction,
        OptionalInt label) {

    /** Checks that no part is missing and that data fits the shape. */
    public SampleRecord {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(prediction, "prediction");
        Objects.requireNonNull(label, "label");
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("data has " + data.length + " values but shape "
                    + Arrays.toString(shape) + " needs " + n);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SampleRecord r
                && model.equals(r.model) && version.equals(r.version) && id.equals(r.id)
                && timestamp == r.timestamp && Arrays.equals(data, r.data) && Arrays.equals(shape, r.shape)
                && prediction.equals(r.prediction) && label.equals(r.label);
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, version, id, timestamp, Arrays.hashCode(data), Arrays.hashCode(shape), prediction, label);
    }

    @Override
    public String toString() {
        return "SampleRecord[" + model + ":" + version + " id=" + id + " t=" + timestamp + " shape="
                + Arrays.toString(shape) + prediction.map(p -> " prediction=" + p).orElse("")
                + (label.isPresent() ? " label=" + label.getAsInt() : "") + "]";
    }
}
