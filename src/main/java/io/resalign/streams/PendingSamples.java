package io.resalign.streams;

import io.resalign.sample.SampleRecord;
import io.resalign.service.StateRecords;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Tracks, for one task of the analysis stage, where each sample waiting for its engine batch came
 * from (its {@link PendingRecord} and its index there), and keeps every record with waiting samples
 * in the task's store ({@link PendingRecord#storeKey()}) until all of them are analysed or
 * dead-lettered, so that a task's next owner takes them up (docs/kafka.md, "Delivery guarantees").
 *
 * <p>A record's offset is committed while samples of it wait: from then on the store is what keeps
 * them. So the store may say "sample i is done" only once sample i's feature row is on the broker,
 * and the row goes to another topic than the store's changelog, which under at_least_once nothing
 * orders. Hence: a newly kept record is written as it came (every sample it takes pending), and every
 * later state of a kept record (samples done, failed, or the record deleted) is written only after a
 * commit has passed since it was reached ({@link CommitEpochs}: the commit's producer flush is what
 * acknowledged the rows), by {@link #writeDurable}. A crash before that leaves samples pending whose
 * rows may be on the broker already: they are analysed again and the monitor stage takes each row
 * once (its {@code SourcePositions}). Never a sample that is neither pending nor sent.
 *
 * <p>Records and samples are told apart by identity: a record's pending set changes as its batches
 * go, and two samples may be equal.
 */
final class PendingSamples {
    /** Where a sample came from: its record and its index there. */
    private record Slot(PendingRecord record, int index) {}

    /** The records of a batch, each once in input order, and those of which the batch took the last pending sample. */
    record Taken(List<PendingRecord> records, List<PendingRecord> finished) {}

    /** Where a sample came from: partition, offset and index in its record; -1s for a record without them. */
    record Position(int partition, long offset, int index) {}

    /** A state of a kept record to write once the commit after {@code epoch} has passed: its bytes, or null to delete it. */
    private record Deferred(long epoch, byte[] bytes) {}

    private final StateRecords store;
    private final Map<SampleRecord, Slot> slots = new IdentityHashMap<>();
    /** The records that are kept in the store, by identity. */
    private final Set<PendingRecord> kept = Collections.newSetFromMap(new IdentityHashMap<>());
    private final KeyValueStore<byte[], byte[]> legacy;
    private final CommitEpochs epochs;
    /** The states of kept records not written yet, oldest first per store key. */
    private final Map<String, ArrayDeque<Deferred>> deferred = new LinkedHashMap<>();
    /** Whether what a previous owner of the task left in the store has been taken up. */
    private boolean takenUp;

    /**
     * Keeps the pending records of a task in {@code store}. Records that builds before the single
     * store kept in a store of their own ({@code legacy}, {@link TopologyProducer#LEGACY_PENDING_STORE})
     * are moved into {@code store} when they are taken up.
     */
    PendingSamples(StateRecords store, KeyValueStore<byte[], byte[]> legacy, CommitEpochs epochs) {
        this.store = store;
        this.legacy = legacy;
        this.epochs = epochs;
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
     * Keeps a newly taken record in the store if samples of it still wait: written as it came
     * ({@code asTaken}, every sample it takes pending), its state now deferred until its rows are on
     * the broker. A record finished within the call that took it is not written at all: its offset is
     * committed only after the producer flush that sends its rows.
     */
    void keepIfWaiting(PendingRecord record, byte[] asTaken, BitSet taken) {
        if (!record.isDone() && keepable(record)) {
            store.put(record.storeKey(), asTaken);
            kept.add(record);
            if (!record.pending().equals(taken) || record.hasFailed()) {
                defer(record); // samples of it were analysed in this call: their state waits for the next commit
            }
        }
    }

    /** Notes that a record read back from the store is kept there (its samples are taken up again). */
    void keptAlready(PendingRecord record) {
        kept.add(record);
    }

    /**
     * Deletes a record read back from the store that has nothing left to take up, once a commit has
     * passed: a dead letter sent for it must be on the broker before the record leaves the store.
     */
    void delete(PendingRecord record) {
        deleteLater(record.storeKey());
        kept.remove(record);
    }

    /**
     * Marks the samples of a batch, or of a part of one, done (analysed, or failed when
     * {@code failed}) and returns their records in input order, each once, and those it finished;
     * their new state goes to the store through {@link #settle}, once the part's rows are on the broker.
     */
    Taken take(List<SampleRecord> batch, boolean failed) {
        List<PendingRecord> records = new ArrayList<>();
        List<PendingRecord> finished = new ArrayList<>();
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
        }
        return new Taken(records, finished);
    }

    /** Without a partition and offset (never for a record from the source node) a record has no key to keep it under. */
    private static boolean keepable(PendingRecord p) {
        return p.partition() >= 0 && p.offset() >= 0;
    }

    /**
     * Notes the new state of the kept records of a taken part (samples done or failed; deleted when
     * nothing is left pending), to be written once the part's rows are on the broker ({@link #writeDurable}).
     */
    void settle(Taken taken) {
        for (PendingRecord p : taken.records()) {
            if (kept.contains(p)) {
                defer(p);
                if (p.isDone()) {
                    kept.remove(p);
                }
            }
        }
    }

    private void defer(PendingRecord p) {
        defer(p.storeKey(), p.isDone() ? null : p.toBytes());
    }

    /** Queues a state of {@code key} (null: its deletion) to be written once the commit after now has passed. */
    private void defer(String key, byte[] bytes) {
        deferred.computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(new Deferred(epochs.current(), bytes));
    }

    /**
     * Writes, for every kept record, the latest state it reached before the last commit (whose producer
     * flush acknowledged the rows sent until then); called before each record and punctuation.
     */
    void writeDurable() {
        long now = epochs.current();
        for (var it = deferred.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Deferred latest = null;
            while (!e.getValue().isEmpty() && e.getValue().peekFirst().epoch() < now) {
                latest = e.getValue().pollFirst();
            }
            if (latest != null) {
                if (latest.bytes() == null) {
                    store.delete(e.getKey());
                } else {
                    store.put(e.getKey(), latest.bytes());
                }
            }
            if (e.getValue().isEmpty()) {
                it.remove();
            }
        }
    }

    /** Deletes a record of the store (not a pending one) once a commit has passed: what was sent for it is on the broker by then. */
    void deleteLater(String key) {
        defer(key, null);
    }

    /** Returns where a waiting sample came from. */
    Position position(SampleRecord sample) {
        Slot s = slots.get(sample);
        PendingRecord r = s.record();
        return keepable(r) ? new Position(r.partition(), r.offset(), s.index()) : new Position(-1, -1, -1);
    }
}
