package io.resalign.streams.record;

import io.resalign.sample.RejectReason;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Builds the headers of a dead-letter record: the original record's headers unchanged, followed
 * by why it was rejected and where it came from. The value goes to the dead-letter topic
 * unchanged, so that a fixed consumer (or a person) can replay it, unless the record would not fit
 * in one Kafka request: then {@link #bounded} sends a prefix of the value and says so in headers.
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
    /**
     * The samples of the record the dead letter stands for ({@link SampleSelection}, e.g. {@code 16-31,40});
     * only when it stands for some of them. On a record of the samples topic it selects the samples taken.
     */
    public static final String SAMPLES = "resalign.dlq.samples";
    /** {@code true} when the value is a prefix of the original (the record was over the size bound). */
    public static final String TRUNCATED = "resalign.dlq.truncated";
    /** Bytes of the original value, decimal; only on a truncated record. */
    public static final String ORIGINAL_SIZE = "resalign.dlq.original-size";
    /** SHA-256 of the whole original value, lower-case hex; only on a truncated record. */
    public static final String ORIGINAL_SHA256 = "resalign.dlq.original-sha256";
    /** How many of the original headers were left out, decimal; only when they alone passed the bound. */
    public static final String ORIGINAL_HEADERS_DROPPED = "resalign.dlq.original-headers-dropped";
    /** Bytes of the original key, decimal; only when the key alone passed the bound and was cut. */
    public static final String ORIGINAL_KEY_SIZE = "resalign.dlq.original-key-size";
    /**
     * The smallest bound {@link #bounded} takes: room for the dead-letter headers (the message is at
     * most 1,000 characters) and the truncation headers, so that a bounded record always fits.
     */
    public static final int MIN_BOUND_BYTES = 16 * 1024;
    /**
     * Bytes counted per header beyond its key and value: Kafka frames each header with two
     * length varints (at most 5 bytes each), so that many headers cannot pass the bound unseen.
     */
    public static final int HEADER_FRAMING_BYTES = 10;

    private static final String PREFIX = "resalign.dlq.";
    private static final int MAX_MESSAGE_CHARS = 1000;

    /** A dead-letter record as it is sent: key and value (either may be null) and headers. */
    public record Letter(byte[] key, byte[] value, Headers headers) {
        /** Checks that there are headers (a dead letter always has its own). */
        public Letter {
            Objects.requireNonNull(headers, "headers");
        }

        /** Returns the bytes the bound counts: key, value, and each header's key, value and framing. */
        public long size() {
            return length(key) + length(value) + headerBytes(headers);
        }

        /** Says whether the value is a prefix of the original. */
        public boolean truncated() {
            return headers.lastHeader(TRUNCATED) != null;
        }
    }

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
     * each appears once and names the latest rejection; but the dead letter of a record that came
     * with a {@link #SAMPLES} header stands for the samples it selected, so that header is kept.
     */
    public static Headers headers(Headers original, Decoded.Rejection rejection, String topic, int partition, long offset,
            long rejectedAt) {
        Headers out = headers(original, rejection, topic, partition, offset, rejectedAt, null);
        Header selected = original == null ? null : original.lastHeader(SAMPLES);
        if (selected != null) {
            out.add(SAMPLES, selected.value()); // as it came, also when it is what the record was rejected for
        }
        return out;
    }

    /**
     * Returns new headers as {@link #headers(Headers, Decoded.Rejection, String, int, long, long)}
     * does, for a dead letter that stands for {@code samples} of its record ({@link SampleSelection#format}),
     * or for the whole record when null (then no {@link #SAMPLES} header).
     */
    public static Headers headers(Headers original, Decoded.Rejection rejection, String topic, int partition, long offset,
            long rejectedAt, String samples) {
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
        if (samples != null) {
            add(out, SAMPLES, samples);
        }
        return out;
    }

    /**
     * Returns the dead letter unchanged when it fits in {@code maxBytes} ({@link Letter#size()}), else
     * a record that does: the value cut to the longest prefix that fits, the original headers and the
     * dead-letter headers kept, and {@link #TRUNCATED}, {@link #ORIGINAL_SIZE} and
     * {@link #ORIGINAL_SHA256} added, so that an operator can fetch the original from the source topic
     * (its coordinates are in the headers) and check it is the one. When the key and the original
     * headers alone pass the bound (never for the service's own records), the original headers are
     * left out ({@link #ORIGINAL_HEADERS_DROPPED}), and then the key is cut ({@link #ORIGINAL_KEY_SIZE}).
     * The letter's {@code resalign.dlq.*} headers are expected to be those of {@link #headers}.
     *
     * @throws IllegalArgumentException when {@code maxBytes} is under {@link #MIN_BOUND_BYTES}
     */
    public static Letter bounded(Letter letter, int maxBytes) {
        requireBound(maxBytes);
        if (letter.size() <= maxBytes) {
            return letter;
        }
        byte[] value = letter.value() == null ? new byte[0] : letter.value();
        byte[] key = letter.key();
        List<Header> original = new ArrayList<>();
        List<Header> deadLetter = new ArrayList<>();
        for (Header h : letter.headers()) {
            (h.key().startsWith(PREFIX) ? deadLetter : original).add(h);
        }
        RecordHeaders marks = new RecordHeaders();
        add(marks, TRUNCATED, "true");
        add(marks, ORIGINAL_SIZE, Integer.toString(value.length));
        add(marks, ORIGINAL_SHA256, sha256(value));
        long fixed = headerBytes(deadLetter) + headerBytes(marks);
        if (length(key) + headerBytes(original) + fixed > maxBytes) {
            add(marks, ORIGINAL_HEADERS_DROPPED, Integer.toString(original.size()));
            original.clear();
            fixed = headerBytes(deadLetter) + headerBytes(marks);
            if (length(key) + fixed > maxBytes) {
                add(marks, ORIGINAL_KEY_SIZE, Integer.toString(key.length));
                fixed = headerBytes(deadLetter) + headerBytes(marks);
                key = Arrays.copyOf(key, (int) Math.max(0, maxBytes - fixed));
            }
        }
        // never negative for a letter of headers(...): its own headers take a few kB, the bound at least 16 KiB
        int room = (int) Math.max(0, maxBytes - length(key) - headerBytes(original) - fixed);
        RecordHeaders headers = new RecordHeaders();
        original.forEach(headers::add);
        deadLetter.forEach(headers::add);
        marks.forEach(headers::add);
        return new Letter(key, Arrays.copyOf(value, Math.min(value.length, room)), headers);
    }

    /**
     * Checks a bound for {@link #bounded}.
     *
     * @throws IllegalArgumentException naming the setting when it is under {@link #MIN_BOUND_BYTES}
     */
    public static void requireBound(int maxBytes) {
        if (maxBytes < MIN_BOUND_BYTES) {
            throw new IllegalArgumentException("resalign.streams.dlq-max-record-bytes=" + maxBytes + " leaves no room for the "
                    + "dead-letter headers; expected at least " + MIN_BOUND_BYTES);
        }
    }

    /** Returns the SHA-256 of {@code bytes}, lower-case hex, as {@link #ORIGINAL_SHA256} carries it. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static long length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static long headerBytes(Iterable<Header> headers) {
        long n = 0;
        for (Header h : headers) {
            n += h.key().getBytes(StandardCharsets.UTF_8).length + length(h.value()) + HEADER_FRAMING_BYTES;
        }
        return n;
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
