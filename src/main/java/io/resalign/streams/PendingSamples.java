package io.resalign.streams;

import io.resalign.sample.SampleRecord;
import io.resalign.service.SourcePositions;
import io.resalign.service.StateRecords;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Tracks, for one stream task, where each sample waiting for its engine batch came from (its
 * {@link PendingRecord} and its index there), and keeps every record with waiting samples in the
 * monitor store ({@link PendingRecord#storeKey()}) until all of them are analysed or dead-lettered,
 * so that a task's next owner takes them up (docs/kafka.md, "Delivery guarantees").
 *
 * <p>A batch's records are written back ({@link #settle}) only after the monitor head that counts
 * the batch has been saved: in the store's changelog the head comes first, so a crash between the
 * two leaves records whose samples the head's {@link SourcePositions} already cover (and the
 * processor skips them), never a batch that is neither counted nor pending. The records of samples
 * that failed are the exception ({@link #keepFailed}): written before the head that covers their
 * failed samples, so that no prefix has the head without the failure (the sample would be neither
 * counted nor dead-lettered); a prefix with the failure but not the head has the sample handled,
 * not pending, which is what the head would say.
 *
 * <p>Records and samples are told apart by identity: a record's pending set changes as its batches
 * go, and two samples may be equal.
 */
final class PendingSamples {
    /** Where a sample came from: its record and its index there. */
    private record Slot(PendingRecord record, int index) {}

    /**
     * The records of a batch, each once in input order, the last sample the batch took from each
     * partition, and the records of which the batch took the last pending sample (in input order).
     */
    record Taken(List<PendingRecord> records, Map<Integer, long[]> last, List<PendingRecord> finished) {
        /** Advances {@code positions} to the batch's last sample of each partition. */
        void advance(SourcePositions positions) {
            last.forEach((partition, p) -> positions.advance(partition, p[0], (int) p[1]));
        }
    }

    private final StateRecords store;
    private final Map<SampleRecord, Slot> slots = new IdentityHashMap<>();
    /** The records that are kept in the store, by identity. */
    private final Set<PendingRecord> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    private final KeyValueStore<byte[], byte[]> legacy;
    /** Whether what a previous owner of the task left in the store has been taken up. */
    private boolean takenUp;

    /**
     * Keeps the pending records of a task in {@code store}. Records that builds before the single
     * store kept in a store of their own ({@code legacy}, {@link TopologyProducer#LEGACY_PENDING_STORE})
     * are moved into {@code store} when they are taken up.
     */
    PendingSamples(StateRecords store, KeyValueStore<byte[], byte[]> legacy) {
        this.store = store;
        this.legacy = legacy;
    }

    /**
     * Returns, once, the values a previous owner of the task left in the store, in the order it took
     * the records; null afterwards. Called before the task's first record or punctuation, after the
     * stores were restored from their changelogs. Legacy records are moved first: written to the
     * monitor store, then deleted from the old one, so that a crash in between moves them again.
     */
    List<byte[]> takeLeftInStore() {
        if (takenUp) {
            return null;
        }
        takenUp = true;
        List<byte[]> moved = new ArrayList<>();
        try (KeyValueIterator<byte[], byte[]> all = legacy.all()) {
            all.forEachRemaining(kv -> {
                moved.add(kv.key);
                try {
                    store.put(PendingRecord.fromBytes(kv.value).storeKey(), kv.value);
                } catch (IllegalArgumentException e) {
                    // unreadable: nothing to take up, and dropped with the legacy entry
                }
            });
        }
        moved.forEach(legacy::delete);
        List<byte[]> values = new ArrayList<>();
        for (String key : store.keysWithPrefix(PendingRecord.KEY_PREFIX)) {
            values.add(store.get(key));
        }
        return values;
    }

    /** Returns whether the record at this partition and offset is kept already (it came again, at least once after a crash). */
    boolean isKept(int partition, long offset) {
        return kept.stream().anyMatch(p -> p.partition() == partition && p.offset() == offset);
    }

    /** Notes that sample {@code index} of {@code record} waits for its batch. */
    void waits(PendingRecord record, int index, SampleRecord sample) {
        record.markPending(index);
        slots.put(sample, new Slot(record, index));
    }

    /**
     * Keeps a newly taken record in the store if samples of it still wait; deletes it when a failure
     * wrote it there ({@link #keepFailed}) and nothing of it waits any more.
     */
    void keepIfWaiting(PendingRecord record) {
        if (!record.isDone()) {
            store.put(record.storeKey(), record.toBytes());
            kept.add(record);
        } else if (kept.remove(record)) {
            store.delete(record.storeKey());
        }
    }

    /** Notes that a record read back from the store is kept there (its samples are taken up again). */
    void keptAlready(PendingRecord record) {
        kept.add(record);
    }

    /** Deletes a record read back from the store that has nothing left to take up. */
    void delete(PendingRecord record) {
        store.delete(record.storeKey());
        kept.remove(record);
    }

    /**
     * Marks the samples of a batch, or of a part of one, done (analysed, or failed when
     * {@code failed}) and returns their records in input order, each once, with the part's last
     * position per partition; the store is written by {@link #settle}, after the monitor head.
     */
    Taken take(List<SampleRecord> batch, boolean failed) {
        List<PendingRecord> records = new ArrayList<>();
        List<PendingRecord> finished = new ArrayList<>();
        Map<Integer, long[]> last = new TreeMap<>();
        Set<PendingRecord> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (SampleRecord r : batch) {
            Slot s = slots.remove(r);
            if (failed) {
                s.record().markFailed(s.index());
            }
            if (s.record().markDone(s.index())) {
                finished.add(s.record());
            }
            if (seen.add(s.record())) {
                records.add(s.record());
            }
            if (keepable(s.record())) {
                last.put(s.record().partition(), new long[] {s.record().offset(), s.index()});
            }
        }
        return new Taken(records, last, finished);
    }

    /**
     * Writes the records of a failed part that still have samples pending now, before the head that
     * covers the part: their failed samples must be in the store when the head is (see the class comment).
     */
    void keepFailed(Taken taken) {
        for (PendingRecord p : taken.records()) {
            if (!p.isDone() && keepable(p)) {
                store.put(p.storeKey(), p.toBytes());
                kept.add(p);
            }
        }
    }

    /** Without a partition and offset (never for a record from the source node) a record has no key to keep it under. */
    private static boolean keepable(PendingRecord p) {
        return p.partition() >= 0 && p.offset() >= 0;
    }

    /** Writes the kept records of a taken batch back to the store, and deletes those with nothing left pending. */
    void settle(Taken taken) {
        for (PendingRecord p : taken.records()) {
            if (!kept.contains(p)) {
                continue;
            }
            if (p.isDone()) {
                store.delete(p.storeKey());
                kept.remove(p);
            } else {
                store.put(p.storeKey(), p.toBytes());
            }
        }
    }
}
