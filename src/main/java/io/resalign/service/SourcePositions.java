package io.resalign.service;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The last sample a monitor has taken from each partition of its source topic, as (record offset,
 * sample index in the record): the watermark that makes the monitor idempotent under
 * at-least-once delivery. A task takes the samples of one partition in offset order and, within a
 * record, in index order (its batchers are first in, first out), so every sample at or before the
 * watermark has been handled: analysed, or failed (and dead-lettered with its record). A record delivered
 * again after a crash (its offset was not committed, but the monitor's state had reached the
 * changelog) is recognised here and not counted twice.
 *
 * <p>Stored in the monitor's head record, so that it changes atomically with the counts it
 * guards (docs/kafka.md, "Delivery guarantees"). Not thread-safe: one per monitor.
 */
public final class SourcePositions {
    /** partition -> {offset, sample index} of the last sample handled. */
    private final Map<Integer, long[]> last = new TreeMap<>();

    /** Returns whether sample {@code index} of the record at {@code partition} and {@code offset} has been handled. */
    public boolean covers(int partition, long offset, int index) {
        long[] p = last.get(partition);
        return p != null && (offset < p[0] || offset == p[0] && index <= p[1]);
    }

    /** Notes that the sample at this position has been handled; a position at or before the watermark changes nothing. */
    public void advance(int partition, long offset, int index) {
        if (partition < 0 || offset < 0 || index < 0) {
            throw new IllegalArgumentException("a source position has a partition, offset and index >= 0, got " + partition + "@"
                    + offset + "#" + index);
        }
        if (!covers(partition, offset, index)) {
            last.put(partition, new long[] {offset, index});
        }
    }

    /** Returns whether no position is known (a monitor fed outside a stream, or stored before positions existed). */
    public boolean isEmpty() {
        return last.isEmpty();
    }

    void write(DataOutputStream out) throws IOException {
        out.writeInt(last.size());
        for (Map.Entry<Integer, long[]> e : last.entrySet()) {
            out.writeInt(e.getKey());
            out.writeLong(e.getValue()[0]);
            out.writeInt((int) e.getValue()[1]);
        }
    }

    void read(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            throw new IOException("negative count of source positions: " + n);
        }
        for (int i = 0; i < n; i++) {
            int partition = in.readInt();
            long offset = in.readLong();
            int index = in.readInt();
            if (partition < 0 || offset < 0 || index < 0 || last.containsKey(partition)) {
                throw new IOException("bad source position " + partition + "@" + offset + "#" + index);
            }
            last.put(partition, new long[] {offset, index});
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        last.forEach((p, o) -> b.append(b.length() > 1 ? ", " : "").append(p).append('@').append(o[0]).append('#').append(o[1]));
        return b.append('}').toString();
    }
}
