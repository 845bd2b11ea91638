package io.resalign.streams.record;

import io.resalign.sample.RejectReason;
import io.resalign.sample.SampleRecord;

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

    /** Returns the samples, or throws when the record was rejected. */
    default List<SampleRecord> samples() {
        if (this instanceof Samples s) {
            return s.records();
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

    /** Carries the samples of an accepted record, at least one, in batch order. */
    record Samples(List<SampleRecord> records) implements Decoded {
        /** Checks that there is at least one sample. */
        public Samples {
            records = List.copyOf(records);
            if (records.isEmpty()) {
                throw new IllegalArgumentException("an accepted record carries at least one sample");
            }
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
