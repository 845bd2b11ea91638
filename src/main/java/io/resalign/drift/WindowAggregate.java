package io.resalign.drift;

import java.util.Arrays;

/**
 * Collects the feature vectors of one window of one model version and summarises them per
 * feature: count, NaN count, mean, variance and exact quantiles.
 *
 * <p>It keeps every sample as a float32 row (NaN where a value is undefined) instead of a quantile
 * sketch: windows are bounded (hundreds to a few thousand samples), so the buffer is small (4 bytes
 * per value), quantiles are exact, merging hopping-window panes is exact concatenation, the drift
 * test can rank every value against the reference, and a window can be pinned as a reference with
 * its cross-feature correlation intact. Values are rounded to float32 on entry so that a window and
 * its serialised form compare equal.
 */
public final class WindowAggregate {
    private static final byte TAG = 'W';

    private final FeatureSchema schema;
    private float[] rows;
    private int count;
    private long firstTimestamp = Long.MAX_VALUE;
    private long lastTimestamp = Long.MIN_VALUE;

    /** Creates an empty window for features of {@code schema}. */
    public WindowAggregate(FeatureSchema schema) {
        this.schema = schema;
        this.rows = new float[schema.size() * 16];
    }

    private WindowAggregate(FeatureSchema schema, float[] rows, long firstTimestamp, long lastTimestamp) {
        this.schema = schema;
        this.rows = rows;
        this.count = rows.length / schema.size();
        this.firstTimestamp = firstTimestamp;
        this.lastTimestamp = lastTimestamp;
    }

    /** Adds one sample observed at {@code timestamp} (epoch milliseconds) and returns this window. */
    public WindowAggregate add(FeatureVector sample, long timestamp) {
        schema.requireCompatible(sample.schema(), "sample");
        int f = schema.size();
        ensureCapacity((count + 1) * f);
        for (int i = 0; i < f; i++) {
            rows[count * f + i] = (float) sample.value(i);
        }
        count++;
        firstTimestamp = Math.min(firstTimestamp, timestamp);
        lastTimestamp = Math.max(lastTimestamp, timestamp);
        return this;
    }

    /** Appends the samples of {@code other} (a later pane of the same model version) and returns this window. */
    public WindowAggregate merge(WindowAggregate other) {
        schema.requireCompatible(other.schema, "merged window");
        int f = schema.size();
        ensureCapacity((count + other.count) * f);
        System.arraycopy(other.rows, 0, rows, count * f, other.count * f);
        count += other.count;
        firstTimestamp = Math.min(firstTimestamp, other.firstTimestamp);
        lastTimestamp = Math.max(lastTimestamp, other.lastTimestamp);
        return this;
    }

    /** Returns a new window holding the samples of all {@code windows} in order. */
    public static WindowAggregate concat(FeatureSchema schema, Iterable<WindowAggregate> windows) {
        WindowAggregate merged = new WindowAggregate(schema);
        for (WindowAggregate w : windows) {
            merged.merge(w);
        }
        return merged;
    }

    private void ensureCapacity(int values) {
        if (values > rows.length) {
            rows = Arrays.copyOf(rows, Math.max(values, rows.length * 2));
        }
    }

    /** Returns the feature schema. */
    public FeatureSchema schema() {
        return schema;
    }

    /** Returns the number of samples, defined or not. */
    public int count() {
        return count;
    }

    /** Returns the earliest sample timestamp, or {@code Long.MAX_VALUE} when empty. */
    public long firstTimestamp() {
        return firstTimestamp;
    }

    /** Returns the latest sample timestamp, or {@code Long.MIN_VALUE} when empty. */
    public long lastTimestamp() {
        return lastTimestamp;
    }

    /** Returns the value of {@code feature} at sample {@code row} (NaN when undefined). */
    public float value(int row, int feature) {
        return rows[row * schema.size() + feature];
    }

    /** Returns the defined values of one feature in sample order. */
    public double[] definedValues(int feature) {
        int f = schema.size();
        double[] out = new double[count];
        int n = 0;
        for (int r = 0; r < count; r++) {
            float v = rows[r * f + feature];
            if (!Float.isNaN(v)) {
                out[n++] = v;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Returns how many samples have a NaN for one feature. */
    public int nanCount(int feature) {
        return count - definedValues(feature).length;
    }

    /** Returns the summary of one feature. */
    public FeatureSummary summary(int feature) {
        double[] values = definedValues(feature);
        Arrays.sort(values);
        int n = values.length;
        double mean = Double.NaN;
        double variance = Double.NaN;
        if (n > 0) {
            double sum = 0;
            for (double v : values) {
                sum += v;
            }
            mean = sum / n;
        }
        if (n > 1) {
            double ss = 0;
            for (double v : values) {
                ss += (v - mean) * (v - mean);
            }
            variance = ss / (n - 1);
        }
        return new FeatureSummary(schema.name(feature), n, count - n, mean, variance,
                quantileOfSorted(values, 0.5), quantileOfSorted(values, 0.9), quantileOfSorted(values, 0.99));
    }

    /** Returns the summary of a feature by name. */
    public FeatureSummary summary(String feature) {
        int index = schema.indexOf(feature);
        if (index < 0) {
            throw new IllegalArgumentException("no feature '" + feature + "' in " + schema.names());
        }
        return summary(index);
    }

    /**
     * Returns the {@code p} quantile of sorted values by linear interpolation between order
     * statistics at position p (n - 1) (Hyndman and Fan type 7, numpy's default), NaN when empty.
     */
    static double quantileOfSorted(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        double position = p * (sorted.length - 1);
        int lower = (int) Math.floor(position);
        int upper = Math.min(lower + 1, sorted.length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }

    /**
     * Returns a window of these rows (row-major, whole rows of {@code schema}) observed between
     * {@code firstTimestamp} and {@code lastTimestamp}: the inverse of {@link #rows} for stores that
     * keep rows in their own layout.
     */
    public static WindowAggregate ofRows(FeatureSchema schema, float[] rows, long firstTimestamp, long lastTimestamp) {
        if (rows.length % schema.size() != 0) {
            throw new IllegalArgumentException(rows.length + " values are not whole rows of " + schema.size() + " features");
        }
        return new WindowAggregate(schema, rows.clone(), firstTimestamp, lastTimestamp);
    }

    /** Returns a copy of samples {@code from} (inclusive) to {@code to} (exclusive), row-major. */
    public float[] rows(int from, int to) {
        if (from < 0 || to > count || from > to) {
            throw new IndexOutOfBoundsException("rows " + from + ".." + to + " of a window of " + count);
        }
        return Arrays.copyOfRange(rows, from * schema.size(), to * schema.size());
    }

    /** Returns a copy of the rows, row-major, {@code count() * schema().size()} values. */
    float[] rowsCopy() {
        return Arrays.copyOf(rows, count * schema.size());
    }

    /** Returns the compact binary form: schema, timestamps and float32 rows. */
    public byte[] toBytes() {
        return CompactEncoding.encode(TAG, out -> {
            CompactEncoding.writeSchema(out, schema);
            out.writeLong(firstTimestamp);
            out.writeLong(lastTimestamp);
            CompactEncoding.writeRows(out, rows, count * schema.size());
        });
    }

    /** Reads a window written by {@link #toBytes()}. */
    public static WindowAggregate fromBytes(byte[] bytes) {
        return CompactEncoding.decode(bytes, TAG, "window aggregate", in -> {
            FeatureSchema schema = CompactEncoding.readSchema(in);
            long first = in.readLong();
            long last = in.readLong();
            return new WindowAggregate(schema, CompactEncoding.readRows(in, schema.size()), first, last);
        });
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WindowAggregate other && schema.equals(other.schema) && count == other.count
                && firstTimestamp == other.firstTimestamp && lastTimestamp == other.lastTimestamp
                && Arrays.equals(rows, 0, count * schema.size(), other.rows, 0, other.count * schema.size());
    }

    @Override
    public int hashCode() {
        return 31 * schema.hashCode() + count;
    }

    @Override
    public String toString() {
        return "WindowAggregate[" + count + " samples, " + schema.size() + " features]";
    }
}
