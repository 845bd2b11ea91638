package io.resalign.streams.record;

import io.resalign.sample.RejectReason;
import io.resalign.sample.SampleRecord;

import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * Holds the outcome of decoding one Kafka record: either the samples it carries (one per batch
 * entry) or the reason it goes to the dead-letter topic. Never both, never neither.
 */
public sealed interface Decoded permits Decoded.Samples, Decoded.Rejection {

    /** Returns whether the record was rejected. */
    default boolean rejected() {
        return this instanceof Rejection;
    }

    /** Returns every sample the record carries, in batch order (index i is its batch entry i), or throws when it was rejected. */
    default List<SampleRecord> samples() {
        if (this instanceof Samples s) {
            return s.records();
        }
        throw new IllegalStateException("the record was rejected: " + this);
    }

    /**
     * Returns the indices of the samples to take: all of them, unless the record names some in
     * {@link DeadLetters#SAMPLES} (a replayed dead letter); throws when the record was rejected.
     */
    default BitSet selected() {
        if (this instanceof Samples s) {
            return (BitSet) s.selected.clone();
        }
        throw new IllegalStateException("the record was rejected: " + this);
    }

    /** Returns the rejection, or throws when the record was accepted. */
    default Rejection rejection() {
        if (this instanceof Rejection r) {
            return r;
        }
        throw new IllegalStateException("the record was accepted");
    }

    /**
     * Carries the samples of an accepted record, at least one, in batch order, and which of them to
     * take (at least one): every one unless the record's {@link DeadLetters#SAMPLES} header names some.
     * All of them are kept, so that a sample's index stays its batch entry in the record.
     */
    record Samples(List<SampleRecord> records, BitSet selected) implements Decoded {
        /** Checks that there is at least one sample, and that the selection names one or more of them. */
        public Samples {
            records = List.copyOf(records);
            if (records.isEmpty()) {
                throw new IllegalArgumentException("an accepted record carries at least one sample");
            }
            selected = (BitSet) selected.clone();
            if (selected.isEmpty() || selected.length() > records.size()) {
                throw new IllegalArgumentException("a selection of " + selected + " among " + records.size() + " samples");
            }
        }

        /** Carries the samples of a record of which every one is taken. */
        public Samples(List<SampleRecord> records) {
            this(records, all(records.size()));
        }

        private static BitSet all(int n) {
            BitSet b = new BitSet(n);
            b.set(0, n);
            return b;
        }
    }

    /** Carries why a record is rejected and a message that names the field and what was expected. */
    record Rejection(RejectReason reason, String message) implements Decoded {
        /** Checks that both parts are present. */
        public Rejection {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }

        @Override
        public String toString() {
            return reason.code() + ": " + message;
        }
    }
}
