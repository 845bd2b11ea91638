package io.resalign.streams;

import java.util.Map;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Counts the commits of a stream task: a state store without data or changelog whose
 * {@link #flush()} Kafka Streams calls at every commit, before it flushes the producer and commits the
 * offsets. A processor reads {@link #current()}; when it has grown past the value it read when it
 * sent a record, that record's send has been acknowledged by the broker (the producer flush of the
 * commit in between waits for it, and a failed one fails the task before it processes again). The
 * analysis stage uses it to write "this sample is done" to its store only after the sample's feature
 * row is on the broker: the row goes to another topic than the store's changelog, and under
 * at_least_once nothing orders the two (docs/kafka.md, "Delivery guarantees").
 */
final class CommitEpochs implements StateStore {
    private final String name;
    private volatile boolean open;
    private long epoch;

    CommitEpochs(String name) {
        this.name = name;
    }

    /** Returns the commits seen since the task started. */
    long current() {
        return epoch;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        context.register(root, (key, value) -> { }); // nothing to restore: no changelog
        open = true;
    }

    @Override
    public void flush() {
        epoch++;
    }

    @Override
    public void close() {
        open = false;
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    /** Builds the store of one task; logging stays off (there is nothing to log). */
    static StoreBuilder<CommitEpochs> builder(String name) {
        return new StoreBuilder<>() {
            private boolean logging;

            @Override
            public StoreBuilder<CommitEpochs> withCachingEnabled() {
                return this;
            }

            @Override
            public StoreBuilder<CommitEpochs> withCachingDisabled() {
                return this;
            }

            @Override
            public StoreBuilder<CommitEpochs> withLoggingEnabled(Map<String, String> config) {
                logging = true;
                return this;
            }

            @Override
            public StoreBuilder<CommitEpochs> withLoggingDisabled() {
                logging = false;
                return this;
            }

            @Override
            public CommitEpochs build() {
                return new CommitEpochs(name);
            }

            @Override
            public Map<String, String> logConfig() {
                return Map.of();
            }

            @Override
            public boolean loggingEnabled() {
                return logging;
            }

            @Override
            public String name() {
                return name;
            }
        };
    }
}
