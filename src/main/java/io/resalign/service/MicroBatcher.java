package io.resalign.service;

import io.resalign.sample.SampleRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongPredicate;

/**
 * Groups the records of one model version into engine batches: a batch is ready when it reaches
 * {@code maxSize} records, or when its oldest record has waited {@code maxWaitMillis}. In front of
 * it, a token bucket limits the samples per second the engine is given; a record over the limit is
 * skipped and counted in {@link #skipped()}, never hidden.
 *
 * <p>Pure logic: the caller passes the wall-clock time to every call (the topology's punctuator in
 * production, a counter in tests). Not thread-safe; one batcher per model version per stream task.
 *
 * <p><b>Restart.</b> Nothing here is persisted; the caller keeps what must survive. The stream
 * processor keeps every pending record in a state store with a changelog and, after a restart,
 * hands them back through {@link #readmit}, which bypasses the rate limit because those records
 * were admitted once already (docs/kafka.md, "Delivery guarantees"). A restart resets (1) the
 * token bucket's level, which restarts full (at most one extra second's burst), and (2) the
 * {@code accepted} and {@code skipped} counts, which are exported as counters, and Prometheus's
 * {@code rate()} and {@code increase()} treat a reset as a restart.
 */
public final class MicroBatcher {
    private final int maxSize;
    private final long maxWaitMillis;
    private final TokenBucket bucket;
    private final LongPredicate admission;
    private List<SampleRecord> pending = new ArrayList<>();
    private long oldestMillis;
    private long accepted;
    private long skipped;

    /**
     * Creates a batcher.
     *
     * @param maxSize records per batch, at least 1
     * @param maxWaitMillis longest time the oldest pending record waits, at least 0
     * @param samplesPerSecond rate limit, 0 for none
     */
    public MicroBatcher(int maxSize, long maxWaitMillis, double samplesPerSecond) {
        this(maxSize, maxWaitMillis, samplesPerSecond, nowMillis -> true);
    }

    /**
     * Creates a batcher whose records must also pass {@code admission} (asked first, with the
     * arrival time) to reach the engine.
     *
     * @param maxSize records per batch, at least 1
     * @param maxWaitMillis longest time the oldest pending record waits, at least 0
     * @param samplesPerSecond rate limit, 0 for none
     * @param admission says whether a record arriving at the given time may go to the engine
     */
    public MicroBatcher(int maxSize, long maxWaitMillis, double samplesPerSecond, LongPredicate admission) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("batch max size must be at least 1, was " + maxSize);
        }
        if (maxWaitMillis < 0) {
            throw new IllegalArgumentException("batch max wait must be >= 0 ms, was " + maxWaitMillis);
        }
        this.maxSize = maxSize;
        this.maxWaitMillis = maxWaitMillis;
        this.bucket = new TokenBucket(samplesPerSecond);
        this.admission = admission;
    }

    /**
     * Takes a record that arrived at {@code nowMillis}, unless the admission test or the rate limit skips it.
     *
     * @return the full batch when this record completes one, else empty
     */
    public Optional<List<SampleRecord>> add(SampleRecord record, long nowMillis) {
        if (!admission.test(nowMillis) || !bucket.tryTake(nowMillis)) {
            skipped++;
            return Optional.empty();
        }
        accepted++;
        return enqueue(record, nowMillis);
    }

    private Optional<List<SampleRecord>> enqueue(SampleRecord record, long nowMillis) {
        if (pending.isEmpty()) {
            oldestMillis = nowMillis;
        }
        pending.add(record);
        return pending.size() >= maxSize ? drain() : Optional.empty();
    }

    /**
     * Takes back a record that was admitted before a restart and had not been analysed: no token
     * is taken and it counts neither as accepted nor as skipped (it was counted when first admitted).
     *
     * @return the full batch when this record completes one, else empty
     */
    public Optional<List<SampleRecord>> readmit(SampleRecord record, long nowMillis) {
        return enqueue(record, nowMillis);
    }

    /** Returns the pending batch when its oldest record has waited at least the max wait at {@code nowMillis}. */
    public Optional<List<SampleRecord>> poll(long nowMillis) {
        return !pending.isEmpty() && nowMillis - oldestMillis >= maxWaitMillis ? drain() : Optional.empty();
    }

    /** Returns whatever is pending as a batch, ready or not (before a commit, on shutdown). */
    public Optional<List<SampleRecord>> drain() {
        if (pending.isEmpty()) {
            return Optional.empty();
        }
        List<SampleRecord> batch = List.copyOf(pending);
        pending = new ArrayList<>(maxSize);
        return Optional.of(batch);
    }

    /** Returns when the pending batch becomes due (oldest arrival + max wait), empty when nothing is pending. */
    public OptionalLong deadline() {
        return pending.isEmpty() ? OptionalLong.empty() : OptionalLong.of(oldestMillis + maxWaitMillis);
    }

    /** Returns the number of records waiting for a batch. */
    public int pending() {
        return pending.size();
    }

    /** Returns how many records the rate limit let through since this batcher was created. */
    public long accepted() {
        return accepted;
    }

    /** Returns how many records the rate limit skipped since this batcher was created. */
    public long skipped() {
        return skipped;
    }
}
