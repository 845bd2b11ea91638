package io.resalign.streams;

import io.resalign.drift.CompactEncoding;
import io.resalign.streams.record.DeadLetters;
import io.resalign.streams.record.Decoded;
import io.resalign.streams.record.SampleSelection;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.BitSet;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Record;

/**
 * A sample record whose samples wait, in whole or in part, for their engine batch: the original
 * key, value and headers with the topic, partition, offset and timestamp (all that is needed to
 * decode it again, or to dead-letter it unchanged), how many samples it carries, which of them are
 * still pending, and which failed their analysis. A record with failed samples is dead-lettered
 * once, when none of its samples is pending any more, standing for its failed samples only
 * ({@link #deadLetter}).
 *
 * <p>It is kept in the analysis store ({@link TopologyProducer#ANALYSIS_STORE}) under
 * {@link #storeKey()} ({@value #KEY_PREFIX}, then partition and offset zero-padded, so that the
 * store iterates in the order the task took the records); a state in which samples are done is
 * written only once their feature rows are on the broker ({@link PendingSamples}). The changelog
 * is what lets a restarted or migrated task analyse the samples that its predecessor accepted but
 * had not sent on (docs/kafka.md, "Delivery guarantees"). Samples skipped by the rate limit are
 * never pending.
 *
 * <p>{@code pending} and {@code failed} are mutable (the processor marks samples done as their
 * batches go), so the processor tells records apart by identity, never by {@code equals}.
 *
 * @param samples how many samples the record carries (its batch axis), -1 when unknown (read from
 *     a store value without failed samples, which does not hold it)
 */
record PendingRecord(byte[] key, byte[] value, Headers headers, String topic, int partition, long offset, long timestamp,
        int samples, BitSet pending, BitSet failed) {
    private static final byte TAG = 'P';
    /** The prefix of pending records' keys in the monitor store; monitor keys never start with it (MonitorRecords). */
    static final String KEY_PREFIX = "!pending/";

    /** Returns a record of the samples topic as taken, with its {@code samples} and none failed. */
    static PendingRecord of(Record<byte[], byte[]> record, String topic, int partition, long offset, int samples, BitSet pending) {
        return new PendingRecord(record.key(), record.value(), record.headers(), topic, partition, offset, record.timestamp(), samples,
                pending, new BitSet());
    }

    /** Returns whether sample {@code index} of the record still waits for analysis. */
    boolean isPending(int index) {
        return pending.get(index);
    }

    /** Marks sample {@code index} of the record as pending. */
    void markPending(int index) {
        pending.set(index);
    }

    /** Marks sample {@code index} done (analysed, handled as failed, or skipped); returns whether none is left pending. */
    boolean markDone(int index) {
        pending.clear(index);
        return pending.isEmpty();
    }

    /** Marks sample {@code index} failed: it goes to the dead-letter topic with the record, once none is pending. */
    void markFailed(int index) {
        failed.set(index);
    }

    /** Returns whether a sample of the record failed its analysis. */
    boolean hasFailed() {
        return !failed.isEmpty();
    }

    /** Returns the samples that failed their analysis. */
    BitSet failedSamples() {
        return (BitSet) failed.clone();
    }

    /** Returns the samples not analysed: those still pending and those that failed. */
    BitSet unresolved() {
        BitSet out = (BitSet) pending.clone();
        out.or(failed);
        return out;
    }

    /**
     * Returns the record as a dead letter: its key, value and timestamp unchanged, its headers with the
     * dead-letter headers ({@link DeadLetters#headers}). When {@code standsFor} is given and is not
     * every sample of the record, the dead letter names those samples in {@link DeadLetters#SAMPLES},
     * so that its replay takes only them; when null, the dead letter stands for what the record did.
     */
    Record<Object, byte[]> deadLetter(Decoded.Rejection rejection, BitSet standsFor, long rejectedAt) {
        Headers out;
        if (standsFor == null) {
            out = DeadLetters.headers(headers, rejection, topic, partition, offset, rejectedAt);
        } else {
            boolean whole = samples > 0 && standsFor.cardinality() == samples && standsFor.length() == samples;
            out = DeadLetters.headers(headers, rejection, topic, partition, offset, rejectedAt,
                    whole ? null : SampleSelection.format(standsFor));
        }
        return new Record<>(key, value, timestamp, out);
    }

    /** Returns whether no sample of the record is pending. */
    boolean isDone() {
        return pending.isEmpty();
    }

    /** Returns the number of samples still pending. */
    int pendingCount() {
        return pending.cardinality();
    }

    /** Returns the key of this record in the monitor store. */
    String storeKey() {
        return storeKey(partition, offset);
    }

    /**
     * Returns the monitor-store key of the record at {@code partition} and {@code offset}. A task
     * reads one partition of the samples topic, in offset order, so the order of these keys (which
     * RocksDB iterates in: zero-padded decimals compare as the numbers do) is the order the task took
     * the records.
     */
    static String storeKey(int partition, long offset) {
        // offsets are >= 0 and the partition of a source record too
        return String.format(java.util.Locale.ROOT, "%s%010d/%019d", KEY_PREFIX, partition, offset);
    }

    /** Returns about how many bytes the record takes in the store: its key, value and headers. */
    long size() {
        long bytes = (key == null ? 0 : key.length) + (value == null ? 0 : value.length) + topic.length();
        for (Header h : headers) {
            bytes += h.key().length() + (h.value() == null ? 0 : h.value().length);
        }
        return bytes;
    }

    /** Returns the compact binary form, the value of the pending store. */
    byte[] toBytes() {
        return CompactEncoding.encode(TAG, out -> {
            out.writeUTF(topic);
            out.writeInt(partition);
            out.writeLong(offset);
            out.writeLong(timestamp);
            writeNullable(out, key);
            writeNullable(out, value);
            Header[] all = headers.toArray();
            out.writeInt(all.length);
            for (Header h : all) {
                out.writeUTF(h.key());
                writeNullable(out, h.value());
            }
            CompactEncoding.writeBlock(out, pending.toByteArray());
            // Only when a sample failed, after the fields of earlier builds: a record without failures keeps
            // their form byte for byte, so that a build before this one still reads it (a rollback keeps it).
            if (!failed.isEmpty()) {
                out.writeInt(samples);
                CompactEncoding.writeBlock(out, failed.toByteArray());
            }
        });
    }

    /**
     * Reads a pending record written by {@link #toBytes()}. A value that ends after the pending
     * samples (no sample failed, or written by a build before failed samples were kept) reads with no
     * failed sample and an unknown number of samples (-1; the processor takes it from decoding the value).
     *
     * @throws IllegalArgumentException when the bytes are not a pending record
     */
    static PendingRecord fromBytes(byte[] bytes) {
        return CompactEncoding.decode(bytes, TAG, "pending sample record", in -> {
            String topic = in.readUTF();
            int partition = in.readInt();
            long offset = in.readLong();
            long timestamp = in.readLong();
            byte[] key = readNullable(in);
            byte[] value = readNullable(in);
            int count = in.readInt();
            if (count < 0) {
                throw new IOException("negative header count " + count);
            }
            RecordHeaders headers = new RecordHeaders();
            for (int i = 0; i < count; i++) {
                headers.add(in.readUTF(), readNullable(in));
            }
            BitSet pending = BitSet.valueOf(CompactEncoding.readBlock(in));
            if (in.available() == 0) {
                return new PendingRecord(key, value, headers, topic, partition, offset, timestamp, -1, pending, new BitSet());
            }
            int samples = in.readInt();
            BitSet failed = BitSet.valueOf(CompactEncoding.readBlock(in));
            return new PendingRecord(key, value, headers, topic, partition, offset, timestamp, samples, pending, failed);
        });
    }

    private static void writeNullable(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeBoolean(bytes != null);
        if (bytes != null) {
            CompactEncoding.writeBlock(out, bytes);
        }
    }

    private static byte[] readNullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? CompactEncoding.readBlock(in) : null;
    }
}
