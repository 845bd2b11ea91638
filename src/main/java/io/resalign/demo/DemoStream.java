package io.resalign.demo;

import java.time.Clock;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

import io.resalign.demo.DriftSchedule.Phase;
import io.resalign.demo.ImageTransforms.Layout;

/**
 * The endless sequence of demo samples: dataset images in a shuffled order (a new permutation for
 * each pass, all drawn from the seed), each transformed by the drift phase of its sequence number.
 * The same seed, schedule and data give the same records (ids and timestamps aside). Not thread-safe:
 * one producing thread owns it.
 */
public final class DemoStream {

    /** One produced sample. */
    public record Sample(long sequence, Phase phase, boolean phaseStart, ProducerRecord<String, byte[]> record) {
    }

    /** Hears about the sending loop, for logs. */
    public interface Listener {
        /** The sample {@code sequence} is the first of {@code phase}. */
        default void phaseStarted(long sequence, Phase phase) {
        }

        /** Sample {@code sequence} was handed to the producer. */
        default void sent(long sequence) {
        }

        /** Sending sample {@code sequence} failed. */
        default void failed(long sequence, Exception e) {
        }
    }

    private static final long MAX_LAG_NANOS = TimeUnit.MILLISECONDS.toNanos(250);

    private final String topic;
    private final String model;
    private final String version;
    private final long[] sampleShape;
    private final Layout layout;
    private final DemoDataset dataset;
    private final DriftSchedule schedule;
    private final long seed;
    private final String idPrefix;
    private final Clock clock;
    private final int[] order;
    private long sequence;
    private long pass = -1;

    /**
     * @param idPrefix sample ids are {@code idPrefix + "-" + sequence}
     */
    public DemoStream(String topic, String model, String version, long[] sampleShape, DemoDataset dataset,
            DriftSchedule schedule, long seed, String idPrefix, Clock clock) {
        this.topic = topic;
        this.model = model;
        this.version = version;
        this.sampleShape = sampleShape.clone();
        this.layout = Layout.of(sampleShape);
        if (layout.size() != dataset.sampleLength()) {
            throw new IllegalArgumentException("dataset samples have " + dataset.sampleLength() + " values, model input " + layout.size());
        }
        this.dataset = dataset;
        this.schedule = schedule;
        this.seed = seed;
        this.idPrefix = idPrefix;
        this.clock = clock;
        this.order = new int[dataset.size()];
    }

    /** Returns the next sample. */
    public Sample next() {
        long seq = sequence++;
        int n = order.length;
        long p = seq / n;
        if (p != pass) {
            shuffle(p);
        }
        int index = order[(int) (seq % n)];
        Phase phase = schedule.phaseAt(seq);
        SplittableRandom random = new SplittableRandom(mix(seed, seq));
        float[] image = phase.apply(dataset.image(index), layout, random);
        OptionalInt label = dataset.hasLabels() ? OptionalInt.of(dataset.label(index)) : OptionalInt.empty();
        byte[] json = DemoRecords.json(model, version, idPrefix + "-" + seq, clock.instant(), sampleShape, image, label);
        return new Sample(seq, phase, schedule.startsPhase(seq), DemoRecords.record(topic, model, phase.name(), json));
    }

    /**
     * Sends samples at {@code rate} per second (after a stall of more than 250 ms it resumes at that
     * rate rather than sending the backlog in a burst) until {@code count} are sent (0: no limit) or
     * {@code stopped} says so. Sends are asynchronous; failures go to the listener.
     *
     * @return the number of samples handed to the producer
     */
    public long produce(Producer<String, byte[]> producer, double rate, long count, BooleanSupplier stopped, Listener listener) {
        if (!(rate > 0) || !Double.isFinite(rate)) {
            throw new IllegalArgumentException("rate must be a positive number of samples per second, got " + rate);
        }
        double interval = TimeUnit.SECONDS.toNanos(1) / rate;
        long start = System.nanoTime();
        long base = 0;
        long sent = 0;
        while ((count <= 0 || sent < count) && !stopped.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
            long due = start + (long) ((sent - base) * interval);
            long now = System.nanoTime();
            if (now - due > MAX_LAG_NANOS) {
                // Behind after a stall (the first metadata fetch, a broker pause): carry on at the
                // rate from now instead of sending the backlog in a burst.
                start = now;
                base = sent;
                due = now;
            }
            long wait;
            while ((wait = due - System.nanoTime()) > 0 && !stopped.getAsBoolean()) {
                LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(100)));
                if (Thread.currentThread().isInterrupted()) {
                    return sent;
                }
            }
            if (stopped.getAsBoolean()) {
                break;
            }
            Sample s = next();
            if (s.phaseStart()) {
                listener.phaseStarted(s.sequence(), s.phase());
            }
            long seq = s.sequence();
            try {
                producer.send(s.record(), (metadata, e) -> {
                    if (e != null) {
                        listener.failed(seq, e);
                    }
                });
            } catch (RuntimeException e) {
                listener.failed(seq, e);
            }
            sent++;
            listener.sent(seq);
        }
        return sent;
    }

    private void shuffle(long p) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        SplittableRandom r = new SplittableRandom(mix(seed ^ 0x5DEECE66DL, p));
        for (int i = order.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        pass = p;
    }

    private static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
