package io.resalign.service;

import io.resalign.drift.CompactEncoding;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.FeatureVector;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.sample.SampleRecord;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.OptionalInt;

/**
 * What a monitor takes of one analysed sample: its feature values in the model version's schema,
 * its event time, the class the engine predicted, the class the model server answered and the true
 * label when known, and where the sample came from (source partition, record offset, sample index),
 * which the monitor's {@link SourcePositions} use to take each sample once. It is all a monitor
 * needs, so the engine's work and the monitor's can run apart (docs/architecture.md): a few hundred
 * bytes per sample, against the sample's tensor and the engine's per-block results.
 *
 * <p>The feature values are doubles, as the engine's metrics are, so a monitor fed rows computes what
 * one fed the metrics computes. {@code schemaHash} names the schema the values follow
 * ({@link #schemaHash(FeatureSchema)}): a row written under another schema (an instance with another
 * build of the model directory) is refused by {@link #features(FeatureSchema)} rather than read
 * into the wrong features.
 */
public record FeatureRow(ModelVersion modelVersion, String sampleId, long timestamp, int predicted, OptionalInt servedClass,
        OptionalInt label, int schemaHash, double[] values, int sourcePartition, long sourceOffset, int sourceIndex) {
    private static final byte TAG = 'F';
    private static final byte ROWS_TAG = 'R';

    /** Checks the parts. */
    public FeatureRow {
        if (modelVersion == null || sampleId == null || values == null || servedClass == null || label == null) {
            throw new IllegalArgumentException("a feature row has a model version, a sample id, values, and served class and label"
                    + " (possibly empty)");
        }
    }

    /** Returns the row of a sample the engine analysed, from sample {@code index} of the record at {@code partition} and {@code offset}. */
    public static FeatureRow of(SampleRecord sample, SampleMetrics metrics, FeatureSchema schema, int partition, long offset,
            int index) {
        OptionalInt served = sample.prediction().map(p -> OptionalInt.of(p.predictedClass())).orElse(OptionalInt.empty());
        return new FeatureRow(new ModelVersion(sample.model(), sample.version()), sample.id(), sample.timestamp(), metrics.predicted(),
                served, sample.label(), schemaHash(schema), FeatureVector.of(metrics, schema).values(), partition, offset, index);
    }

    /** Returns a hash of the schema's feature names in order: equal schemas give equal hashes. */
    public static int schemaHash(FeatureSchema schema) {
        return schema.names().hashCode();
    }

    /**
     * Returns the values as a feature vector of {@code schema}.
     *
     * @throws IllegalArgumentException when the row was written under another schema
     */
    public FeatureVector features(FeatureSchema schema) {
        if (schemaHash != schemaHash(schema) || values.length != schema.size()) {
            throw new IllegalArgumentException("feature row of sample " + sampleId + " (" + modelVersion.model() + ":"
                    + modelVersion.version() + ") has " + values.length + " values under schema " + Integer.toHexString(schemaHash)
                    + ", the monitor's schema has " + schema.size() + " features (" + Integer.toHexString(schemaHash(schema))
                    + "): was it written by an instance with another build of the model directory?");
        }
        return new FeatureVector(schema, values);
    }

    /** Returns whether the row has a source position (it came from a topic, not from a test or the CLI). */
    public boolean hasSource() {
        return sourcePartition >= 0 && sourceOffset >= 0 && sourceIndex >= 0;
    }

    /** Returns the compact binary form. */
    public byte[] toBytes() {
        return CompactEncoding.encode(TAG, out -> {
            out.writeUTF(modelVersion.model());
            out.writeUTF(modelVersion.version());
            out.writeUTF(sampleId);
            out.writeLong(timestamp);
            out.writeInt(predicted);
            writeOptional(out, servedClass);
            writeOptional(out, label);
            out.writeInt(schemaHash);
            out.writeShort(values.length);
            for (double v : values) {
                out.writeDouble(v);
            }
            out.writeInt(sourcePartition);
            out.writeLong(sourceOffset);
            out.writeInt(sourceIndex);
        });
    }

    /**
     * Reads a row written by {@link #toBytes()}.
     *
     * @throws IllegalArgumentException when the bytes are not a feature row
     */
    public static FeatureRow fromBytes(byte[] bytes) {
        return CompactEncoding.decode(bytes, TAG, "feature row", in -> {
            ModelVersion mv = new ModelVersion(in.readUTF(), in.readUTF());
            String id = in.readUTF();
            long timestamp = in.readLong();
            int predicted = in.readInt();
            OptionalInt served = readOptional(in);
            OptionalInt label = readOptional(in);
            int hash = in.readInt();
            double[] values = new double[in.readUnsignedShort()];
            for (int i = 0; i < values.length; i++) {
                values[i] = in.readDouble();
            }
            return new FeatureRow(mv, id, timestamp, predicted, served, label, hash, values, in.readInt(), in.readLong(), in.readInt());
        });
    }

    /** Returns the rows of one analysed part of a batch as one value: a count, then each row's bytes. */
    public static byte[] encodeAll(java.util.List<FeatureRow> rows) {
        return CompactEncoding.encode(ROWS_TAG, out -> {
            out.writeInt(rows.size());
            for (FeatureRow r : rows) {
                CompactEncoding.writeBlock(out, r.toBytes());
            }
        });
    }

    /**
     * Reads rows written by {@link #encodeAll}.
     *
     * @throws IllegalArgumentException when the bytes are not feature rows
     */
    public static java.util.List<FeatureRow> decodeAll(byte[] bytes) {
        return CompactEncoding.decode(bytes, ROWS_TAG, "feature rows", in -> {
            int n = in.readInt();
            if (n < 0) {
                throw new IOException("negative row count " + n);
            }
            java.util.List<FeatureRow> rows = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                rows.add(fromBytes(CompactEncoding.readBlock(in)));
            }
            return rows;
        });
    }

    private static void writeOptional(DataOutputStream out, OptionalInt value) throws IOException {
        out.writeBoolean(value.isPresent());
        if (value.isPresent()) {
            out.writeInt(value.getAsInt());
        }
    }

    private static OptionalInt readOptional(DataInputStream in) throws IOException {
        return in.readBoolean() ? OptionalInt.of(in.readInt()) : OptionalInt.empty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FeatureRow r && modelVersion.equals(r.modelVersion) && sampleId.equals(r.sampleId)
                && timestamp == r.timestamp && predicted == r.predicted && servedClass.equals(r.servedClass) && label.equals(r.label)
                && schemaHash == r.schemaHash && Arrays.equals(values, r.values) && sourcePartition == r.sourcePartition
                && sourceOffset == r.sourceOffset && sourceIndex == r.sourceIndex;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * modelVersion.hashCode() + sampleId.hashCode()) + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "FeatureRow[" + modelVersion.model() + ":" + modelVersion.version() + " " + sampleId + " @" + sourcePartition + "/"
                + sourceOffset + "#" + sourceIndex + ", " + values.length + " values]";
    }
}
