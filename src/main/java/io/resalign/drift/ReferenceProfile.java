package io.resalign.drift;

import java.util.Arrays;

/**
 * Holds the baseline of one model version: its reference samples (float32 rows, NaN where
 * undefined), how they were chosen, when and how many.
 *
 * <p>The rows themselves are kept, not a summary: the drift test ranks window values against each
 * feature's reference distribution and calibrates its threshold by resampling whole reference rows,
 * which keeps the correlation between features (between blocks especially) that a per-feature
 * summary would lose. At 4 bytes per value, 2,000 samples of 30 features are 240 kB.
 */
public final class ReferenceProfile {
    private static final byte TAG = 'R';

    private final FeatureSchema schema;
    private final float[] rows;
    private final int count;
    private final long createdAt;
    private final ReferenceSource source;

    private ReferenceProfile(FeatureSchema schema, float[] rows, long createdAt, ReferenceSource source) {
        this.schema = schema;
        this.rows = rows;
        this.count = rows.length / schema.size();
        this.createdAt = createdAt;
        this.source = source;
    }

    /** Returns a profile of the samples of {@code window}, created at {@code createdAt} (epoch ms). */
    public static ReferenceProfile of(WindowAggregate window, ReferenceSource source, long createdAt) {
        if (window.count() == 0) {
            throw new IllegalArgumentException("a reference profile needs at least one sample");
        }
        return new ReferenceProfile(window.schema(), window.rowsCopy(), createdAt, source);
    }

    /**
     * Returns a profile of {@code rows} (row-major, whole rows of {@code schema}) as a store that
     * keeps the rows in its own layout read them back.
     */
    public static ReferenceProfile ofRows(FeatureSchema schema, float[] rows, long createdAt, ReferenceSource source) {
        if (rows.length == 0 || rows.length % schema.size() != 0) {
            throw new IllegalArgumentException("a reference profile needs whole rows of " + schema.size()
                    + " features, got " + rows.length + " values");
        }
        return new ReferenceProfile(schema, rows.clone(), createdAt, source);
    }

    /** Returns a copy of samples {@code from} (inclusive) to {@code to} (exclusive), row-major. */
    public float[] rows(int from, int to) {
        if (from < 0 || to > count || from > to) {
            throw new IndexOutOfBoundsException("rows " + from + ".." + to + " of a reference of " + count);
        }
        return Arrays.copyOfRange(rows, from * schema.size(), to * schema.size());
    }

    /** Returns the feature schema. */
    public FeatureSchema schema() {
        return schema;
    }

    /** Returns the number of reference samples. */
    public int sampleCount() {
        return count;
    }

    /** Returns the creation time, epoch milliseconds. */
    public long createdAt() {
        return createdAt;
    }

    /** Returns how the reference was made. */
    public ReferenceSource source() {
        return source;
    }

    /** Returns the reference age at {@code now} (epoch ms), in seconds, for the reference-age gauge. */
    public double ageSeconds(long now) {
        return (now - createdAt) / 1000.0;
    }

    /** Returns the value of {@code feature} at reference sample {@code row} (NaN when undefined). */
    public float value(int row, int feature) {
        return rows[row * schema.size() + feature];
    }

    /** Returns the reference samples as a window (for summaries). */
    public WindowAggregate asWindow() {
        WindowAggregate window = new WindowAggregate(schema);
        double[] values = new double[schema.size()];
        for (int r = 0; r < count; r++) {
            for (int f = 0; f < values.length; f++) {
                values[f] = rows[r * values.length + f];
            }
            window.add(new FeatureVector(schema, values), createdAt);
        }
        return window;
    }

    /** Returns the compact binary form. */
    public byte[] toBytes() {
        return CompactEncoding.encode(TAG, out -> {
            CompactEncoding.writeSchema(out, schema);
            out.writeLong(createdAt);
            out.writeByte(source.ordinal());
            CompactEncoding.writeRows(out, rows, rows.length);
        });
    }

    /** Reads a profile written by {@link #toBytes()}. */
    public static ReferenceProfile fromBytes(byte[] bytes) {
        return CompactEncoding.decode(bytes, TAG, "reference profile", in -> {
            FeatureSchema schema = CompactEncoding.readSchema(in);
            long createdAt = in.readLong();
            int source = in.readUnsignedByte();
            if (source >= ReferenceSource.values().length) {
                throw new java.io.IOException("unknown reference source " + source);
            }
            float[] rows = CompactEncoding.readRows(in, schema.size());
            if (rows.length == 0) {
                throw new java.io.IOException("reference profile without samples");
            }
            return new ReferenceProfile(schema, rows, createdAt, ReferenceSource.values()[source]);
        });
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReferenceProfile other && schema.equals(other.schema)
                && createdAt == other.createdAt && source == other.source && Arrays.equals(rows, other.rows);
    }

    @Override
    public int hashCode() {
        return 31 * schema.hashCode() + Long.hashCode(createdAt);
    }

    @Override
    public String toString() {
        return "ReferenceProfile[" + source + ", " + count + " samples, created " + createdAt + "]";
    }
}
