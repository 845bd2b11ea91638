package io.resalign.streams;

import io.resalign.sample.SampleRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Tracks, for one stream task, where each sample waiting for its engine batch came from (its
 * {@link PendingRecord} and its index there), and keeps every record with waiting samples in the
 * pending store ({@link TopologyProducer#PENDING_STORE}) until all of them are analysed or
 * dead-lettered, so that a task's next owner takes them up (docs/kafka.md, "Delivery guarantees").
 *
 * <p>Records and samples are told apart by identity: a record's pending set changes as its batches
 * go, and two samples may be equal.
 */
final class PendingSamples {
    /** Where a sample came from: its record and its index there. */
    private record Slot(PendingRecord record, int index) {}

    private final KeyValueStore<byte[], byte[]> store;
    private final Map<SampleRecord, Slot> slots = new IdentityHashMap<>();
    /** The records that are kept in the store, by identity. */
    private final Set<PendingRecord> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    /** What a previous owner of the task left in the store, until it is taken up. */
    private List<byte[]> leftInStore;

    /** Reads what the store holds now: it is restored before the processor's {@code init}, which calls this. */
    PendingSamples(KeyValueStore<byte[], byte[]> store) {
        this.store = store;
        this.leftInStore = new ArrayList<>();
        try (KeyValueIterator<byte[], byte[]> all = store.all()) {
            all.forEachRemaining(kv -> leftInStore.add(kv.value));
        }
    }

    /**
     * Returns, once, the values a previous owner of the task left in the store, in the order it took
     * the records; null afterwards.
     */
    List<byte[]> takeLeftInStore() {
        List<byte[]> values = leftInStore;
        leftInStore = null;
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

    /** Keeps a newly taken record in the store if samples of it still wait. */
    void keepIfWaiting(PendingRecord record) {
        if (!record.isDone()) {
            store.put(record.storeKey(), record.toBytes());
            kept.add(record);
        }
    }

    /** Notes that a record read back from the store is kept there (its samples are taken up again). */
    void keptAlready(PendingRecord record) {
        kept.add(record);
    }

    /** Deletes a record read back from the store that has nothing left to take up. */
    void delete(PendingRecord record) {
        store.delete(record.storeKey());
    }

    /**
     * Marks the samples of a batch done (analysed, or dead-lettered with their records) and returns
     * their records in input order, each once; writes the kept ones back, and deletes those with
     * nothing left pending.
     */
    List<PendingRecord> take(List<SampleRecord> batch) {
        List<PendingRecord> records = new ArrayList<>();
        Set<PendingRecord> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (SampleRecord r : batch) {
            Slot s = slots.remove(r);
            s.record().markDone(s.index());
            if (seen.add(s.record())) {
                records.add(s.record());
            }
        }
        for (PendingRecord p : records) {
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
        return records;
    }
}
