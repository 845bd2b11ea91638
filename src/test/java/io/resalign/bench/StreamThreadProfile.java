package io.resalign.bench;

import java.util.List;
import java.util.function.Predicate;

/**
 * Attributes the stack samples of a Kafka Streams thread ({@link StackSampler}) to where the time
 * goes: the engine, the registry's input copy, the
 * monitor update, the monitor state's encoding, RocksDB, producing (changelog, reports), decoding,
 * committing, polling (waiting for records), and the rest of Kafka Streams. The innermost frame
 * that names a part decides, so native work counts for the Java frame that asked for it.
 */
final class StreamThreadProfile {
    private record Part(String name, Predicate<StackTraceElement> frame) {}

    private static final List<Part> PARTS = List.of(
            part("engine (AlignmentEngine.analyse)", "io.resalign.engine."),
            part("registry input copy", "io.resalign.service.ModelRegistry"),
            part("monitor state encoding (store value)", "io.resalign.drift.CompactEncoding"),
            part("monitor update (windows, drift test)", "io.resalign.drift.", "io.resalign.service."),
            part("decode (JSON, validation)", "io.resalign.streams.record."),
            part("meters", "io.resalign.metrics.", "io.micrometer."),
            part("RocksDB", "org.rocksdb.", "org.apache.kafka.streams.state.internals.RocksDB"),
            part("produce (changelog, reports)", "org.apache.kafka.clients.producer."),
            part("processor (forward, punctuate)", "io.resalign.streams."),
            new Part("commit", f -> f.getMethodName().toLowerCase(java.util.Locale.ROOT).contains("commit")),
            part("poll (waiting for records)", "org.apache.kafka.clients.consumer."),
            new Part("Kafka Streams other", f -> true));

    private static Part part(String name, String... prefixes) {
        return new Part(name, f -> {
            for (String p : prefixes) {
                if (f.getClassName().startsWith(p)) {
                    return true;
                }
            }
            return false;
        });
    }

    private StreamThreadProfile() {}

    /** Starts sampling {@code target} (a stream thread) every {@code intervalMillis}. */
    static StackSampler start(Thread target, long intervalMillis) {
        return new StackSampler(target, intervalMillis, PARTS.stream().map(Part::name).toList(), StreamThreadProfile::classify);
    }

    /** Returns the stream thread of a running Kafka Streams instance whose client id starts with {@code applicationId}. */
    static Thread streamThread(String applicationId) {
        return Thread.getAllStackTraces().keySet().stream()
                // the stream thread is "<application id>-<uuid>-StreamThread-<n>"; its producer's network thread also names it
                .filter(t -> t.getName().startsWith(applicationId) && t.getName().matches(".*-StreamThread-\\d+"))
                .findFirst().orElseThrow(() -> new IllegalStateException("no stream thread of " + applicationId + " is running"));
    }

    private static String classify(StackTraceElement[] stack) {
        for (StackTraceElement frame : stack) {
            for (Part p : PARTS.subList(0, PARTS.size() - 1)) {
                if (p.frame().test(frame)) {
                    return p.name();
                }
            }
        }
        return PARTS.get(PARTS.size() - 1).name();
    }
}
