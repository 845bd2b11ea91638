package io.resalign.service;

import io.resalign.drift.CompactEncoding;

import io.resalign.drift.FeatureSchema;
import io.resalign.drift.FeatureVector;
import io.resalign.drift.WindowAggregate;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Groups one model version's tested samples into count-based hopping windows of {@code size}
 * samples every {@code advance} samples, built from panes of {@code advance} samples as
 * {@link io.resalign.drift.HoppingCountWindows} does, and additionally keeps, per pane, the ordinal
 * of its first sample and the output counts, so that a closed window knows which samples it holds.
 * Serialisable, unlike the drift package's in-process windows.
 */
final class SampleWindows {
    private final FeatureSchema schema;
    private final int size;
    private final int advance;
    private final Deque<Pane> panes = new ArrayDeque<>();
    private Pane current;

    /** One pane: its samples, the ordinal of its first sample, its output counts. */
    private static final class Pane {
        final WindowAggregate samples;
        final OutputCounts counts;
        long firstSample;

        Pane(WindowAggregate samples, OutputCounts counts, long firstSample) {
            this.samples = samples;
            this.counts = counts;
            this.firstSample = firstSample;
        }
    }

    /** A closed window: the merged samples, the ordinals of its first and last samples, its output counts. */
    record Closed(WindowAggregate samples, long firstSample, long lastSample, OutputCounts counts) {}

    SampleWindows(FeatureSchema schema, int size, int advance) {
        if (advance < 1 || size < advance || size % advance != 0) {
            throw new IllegalArgumentException("window advance " + advance + " must divide window size " + size);
        }
        this.schema = schema;
        this.size = size;
        this.advance = advance;
        this.current = emptyPane();
    }

    private Pane emptyPane() {
        return new Pane(new WindowAggregate(schema), new OutputCounts(), -1);
    }

    int size() {
        return size;
    }

    int advance() {
        return advance;
    }

    /** Adds sample number {@code ordinal} and returns the window it closes, if any. */
    Optional<Closed> add(FeatureVector sample, long timestamp, long ordinal, int predicted, OptionalInt served, OptionalInt label) {
        if (current.samples.count() == 0) {
            current.firstSample = ordinal;
        }
        current.samples.add(sample, timestamp);
        current.counts.add(predicted, served, label);
        if (current.samples.count() < advance) {
            return Optional.empty();
        }
        panes.addLast(current);
        current = emptyPane();
        if (panes.size() < size / advance) {
            return Optional.empty();
        }
        List<WindowAggregate> parts = new ArrayList<>(panes.size());
        OutputCounts counts = new OutputCounts();
        for (Pane p : panes) {
            parts.add(p.samples);
            counts.add(p.counts);
        }
        Closed closed = new Closed(WindowAggregate.concat(schema, parts), panes.peekFirst().firstSample, ordinal, counts);
        panes.removeFirst();
        return Optional.of(closed);
    }

    /** Drops every open pane (after a reference reset or pin). */
    void clear() {
        panes.clear();
        current = emptyPane();
    }

    void write(DataOutputStream out) throws IOException {
        out.writeInt(size);
        out.writeInt(advance);
        out.writeInt(panes.size());
        for (Pane p : panes) {
            writePane(out, p);
        }
        writePane(out, current);
    }

    /** Writes a pane without its feature names: the head record names them once for all panes. */
    private static void writePane(DataOutputStream out, Pane p) throws IOException {
        out.writeLong(p.firstSample);
        p.counts.write(out);
        out.writeLong(p.samples.firstTimestamp());
        out.writeLong(p.samples.lastTimestamp());
        CompactEncoding.writeRows(out, p.samples.rows(0, p.samples.count()), p.samples.count() * p.samples.schema().size());
    }

    /**
     * Reads windows written by {@link #write} ({@code legacy}: by the single-value monitor state,
     * whose panes carried their own feature names); when the stored size or advance differ from the
     * configured ones, the open panes cannot form the configured windows and are dropped.
     */
    static SampleWindows read(DataInputStream in, FeatureSchema schema, int size, int advance, boolean legacy) throws IOException {
        int storedSize = in.readInt();
        int storedAdvance = in.readInt();
        int count = in.readInt();
        if (count < 0 || count > storedSize) {
            throw new IOException(count + " closed panes in windows of " + storedSize);
        }
        SampleWindows windows = new SampleWindows(schema, size, advance);
        for (int i = 0; i < count; i++) {
            windows.panes.addLast(legacy ? readLegacyPane(in, schema) : readPane(in, schema));
        }
        windows.current = legacy ? readLegacyPane(in, schema) : readPane(in, schema);
        if (storedSize != size || storedAdvance != advance) {
            windows.clear();
        }
        return windows;
    }

    private static Pane readPane(DataInputStream in, FeatureSchema schema) throws IOException {
        long first = in.readLong();
        OutputCounts counts = OutputCounts.read(in);
        long firstTimestamp = in.readLong();
        long lastTimestamp = in.readLong();
        WindowAggregate samples = WindowAggregate.ofRows(schema, CompactEncoding.readRows(in, schema.size()), firstTimestamp,
                lastTimestamp);
        return new Pane(samples, counts, first);
    }

    private static Pane readLegacyPane(DataInputStream in, FeatureSchema schema) throws IOException {
        long first = in.readLong();
        OutputCounts counts = OutputCounts.read(in);
        WindowAggregate samples = WindowAggregate.fromBytes(CompactEncoding.readBlock(in));
        if (!samples.schema().equals(schema)) {
            throw new IOException("pane has features " + samples.schema().names() + ", expected " + schema.names());
        }
        return new Pane(samples, counts, first);
    }
}
