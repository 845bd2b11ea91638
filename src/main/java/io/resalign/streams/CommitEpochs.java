package io.resalign.streams;

import java.util.Map;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Counts the commits of a stream task's thread: a state store without data or changelog whose
 * {@link #current()} grows whenever a commit has completed. Two signals, both public: the stream
 * thread's {@code commit-total} metric, which Kafka Streams records after a commit (every task with
 * unsent work is in it), and this store's {@link #flush()}, which Kafka Streams 4.1 calls after a
 * commit when it checkpoints (TopologyTestDriver does at every record). A processor reads
 * {@link #current()}; when it has grown past the value it read when it sent a record, that record's
 * send has been acknowledged by the broker (the producer flush of the commit in between waits for
 * it, and a failed one fails the task before it processes again). The
 * analysis stage uses it to write "this sample is done" to its store only after the sample's feature
 * row is on the broker: the row goes to another topic than the store's changelog, and under
 * at_least_once nothing orders the two (docs/kafka.md, "Delivery guarantees").
 */
final class CommitEpochs implements StateStore {
    private final String name;
    private volatile boolean open;
    private long flushes;
    private org.apache.kafka.streams.StreamsMetrics metrics;
    private org.apache.kafka.common.Metric commits;
    private String commitsThread;

    CommitEpochs(String name) {
        this.name = name;
    }

    /** Returns a count that grows with every commit of the calling stream thread (called from that thread). */
    long current() {
        return flushes + (long) threadCommits();
    }

    private double threadCommits() {
        String thread = Thread.currentThread().getName();
        if (!thread.equals(commitsThread)) { // looked up once per thread: a scan of every metric is no per-record work
            commits = null;
            commitsThread = thread;
            if (metrics != null) {
                for (var e : metrics.metrics().entrySet()) {
                    if (e.getKey().name().equals("commit-total") && e.getKey().group().equals("stream-thread-metrics")
                            && thread.equals(e.getKey().tags().get("thread-id"))) {
                        commits = e.getValue();
                    }
                }
            }
        }
        Object v = commits == null ? null : commits.metricValue();
        return v instanceof Number n ? n.doubleValue() : 0;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        context.register(root, (key, value) -> { }); // nothing to restore: no changelog
        metrics = context.metrics();
        open = true;
    }

    @Override
    public void flush() {
        flushes++;
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
