package io.resalign.streams.record;

import io.resalign.sample.RejectReason;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds the headers of a dead-letter record: the original record's headers unchanged, followed
 * by why it was rejected and where it came from. The value goes to the dead-letter topic
 * unchanged, so that a fixed consumer (or a person) can replay it.
 */
public final class DeadLetters {
    /** The dead-letter topic when nothing else is configured. */
    public static final String DEFAULT_TOPIC = "inference-samples.dlq";
    /** The reason code, see {@link RejectReason#code()}. */
    public static final String REASON = "resalign.dlq.reason";
    /** A message naming the field and what was expected. */
    public static final String MESSAGE = "resalign.dlq.message";
    /** The topic the record was read from. */
    public static final String SOURCE_TOPIC = "resalign.dlq.source.topic";
    /** Its partition, decimal. */
    public static final String SOURCE_PARTITION = "resalign.dlq.source.partition";
    /** Its offset, decimal. */
    public static final String SOURCE_OFFSET = "resalign.dlq.source.offset";
    /** When it was rejected, epoch milliseconds, decimal. */
    public static final String TIMESTAMP = "resalign.dlq.timestamp";

    private static final String PREFIX = "resalign.dlq.";
    private static final int MAX_MESSAGE_CHARS = 1000;

    /** Describes a rejection as read back from a dead-letter record's headers. */
    public record Info(String reason, String message, String sourceTopic, int sourcePartition, long sourceOffset, long timestamp) {
        /** Returns the reason, when the code is one this version knows. */
        public Optional<RejectReason> knownReason() {
            return RejectReason.fromCode(reason);
        }
    }

    private DeadLetters() {
    }

    /**
     * Returns new headers: the original ones in order, then the dead-letter headers. Dead-letter
     * headers already present (a record rejected again after a replay) are replaced, so that
     * each appears once and names the latest rejection.
     */
    public static Headers headers(Headers original, Decoded.Rejection rejection, String topic, int partition, long offset,
            long rejectedAt) {
        RecordHeaders out = new RecordHeaders();
        if (original != null) {
            for (Header h : original) {
                if (!h.key().startsWith(PREFIX)) {
                    out.add(h.key(), h.value());
                }
            }
        }
        String message = rejection.message();
        if (message.length() > MAX_MESSAGE_CHARS) {
            message = message.substring(0, MAX_MESSAGE_CHARS - 3) + "...";
        }
        add(out, REASON, rejection.reason().code());
        add(out, MESSAGE, message);
        add(out, SOURCE_TOPIC, String.valueOf(topic));
        add(out, SOURCE_PARTITION, Integer.toString(partition));
        add(out, SOURCE_OFFSET, Long.toString(offset));
        add(out, TIMESTAMP, Long.toString(rejectedAt));
        return out;
    }

    /** Reads the dead-letter headers back; empty when the headers are not those of a dead letter. */
    public static Optional<Info> read(Headers headers) {
        try {
            return Optional.of(new Info(text(headers, REASON), text(headers, MESSAGE), text(headers, SOURCE_TOPIC),
                    Integer.parseInt(text(headers, SOURCE_PARTITION)), Long.parseLong(text(headers, SOURCE_OFFSET)),
                    Long.parseLong(text(headers, TIMESTAMP))));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void add(Headers headers, String key, String value) {
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(Headers headers, String key) {
        Header h = headers.lastHeader(key);
        if (h == null || h.value() == null) {
            throw new IllegalArgumentException("no header " + key);
        }
        return new String(h.value(), StandardCharsets.UTF_8);
    }
}
