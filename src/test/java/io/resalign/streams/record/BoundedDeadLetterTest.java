package io.resalign.streams.record;

import io.resalign.sample.RejectReason;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.Test;

/**
 * Scenario: a rejected record near the decoder's 8 MiB limit is dead-lettered. Sent whole it would
 * pass Kafka's 1 MiB request and message limits, so the dead letter carries the longest prefix of the
 * value that fits the bound, and headers with the original's size and SHA-256; the original and the
 * dead-letter headers stay. The bound must hold in Kafka's own count of the record, also for a record
 * made of many small headers, and the smallest bound must fit the largest dead-letter headers.
 */
class BoundedDeadLetterTest {
    private static final int BOUND = 900 * 1024;
    /** The producer's default max.request.size; the broker's message.max.bytes is 12 bytes more. */
    private static final int KAFKA_REQUEST_LIMIT = 1 << 20;
    private static final byte[] KEY = "demo-mlp".getBytes(StandardCharsets.UTF_8);

    @Test
    void shouldSendTheDeadLetterUnchangedWhenItFitsTheBound() {
        DeadLetters.Letter letter = letter(KEY, new byte[BOUND - 10_000], headers(new RecordHeaders()));

        DeadLetters.Letter sent = DeadLetters.bounded(letter, BOUND);

        assertSame(letter, sent);
        assertFalse(sent.truncated());
        assertNull(sent.headers().lastHeader(DeadLetters.ORIGINAL_SIZE));
    }

    @Test
    void shouldSendTheLongestPrefixWithTheOriginalsSizeAndHashWhenTheValuePassesTheBound() throws Exception {
        // Step 1: a 2 MiB value, rejected, with the producer's own headers.
        byte[] value = new byte[2 << 20];
        new Random(7).nextBytes(value);
        RecordHeaders original = new RecordHeaders();
        original.add(SampleHeaders.CONTENT_TYPE, "application/json".getBytes(StandardCharsets.UTF_8));
        original.add("trace-id", "4bf92f3577b34da6".getBytes(StandardCharsets.UTF_8));
        DeadLetters.Letter letter = letter(KEY, value, headers(original));

        // Step 2: bounded.
        DeadLetters.Letter sent = DeadLetters.bounded(letter, BOUND);

        // Step 3: exactly at the bound, a prefix of the value, the key and every header kept, the truncation said.
        assertEquals(BOUND, sent.size());
        assertTrue(sent.truncated());
        assertArrayEquals(KEY, sent.key());
        assertArrayEquals(Arrays.copyOf(value, sent.value().length), sent.value());
        assertTrue(sent.value().length > BOUND - 4096, "nearly the whole bound is value: " + sent.value().length);
        List<String> keys = new ArrayList<>();
        sent.headers().forEach(h -> keys.add(h.key()));
        assertEquals(List.of(SampleHeaders.CONTENT_TYPE, "trace-id", DeadLetters.REASON, DeadLetters.MESSAGE, DeadLetters.SOURCE_TOPIC,
                DeadLetters.SOURCE_PARTITION, DeadLetters.SOURCE_OFFSET, DeadLetters.TIMESTAMP, DeadLetters.TRUNCATED,
                DeadLetters.ORIGINAL_SIZE, DeadLetters.ORIGINAL_SHA256), keys);
        assertEquals("true", text(sent.headers(), DeadLetters.TRUNCATED));
        assertEquals(Integer.toString(value.length), text(sent.headers(), DeadLetters.ORIGINAL_SIZE));
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value)),
                text(sent.headers(), DeadLetters.ORIGINAL_SHA256));
        assertEquals("unknown_model", DeadLetters.read(sent.headers()).orElseThrow().reason(), "still a readable dead letter");
        assertTrue(kafkaSize(sent) <= KAFKA_REQUEST_LIMIT, "Kafka counts " + kafkaSize(sent));
    }

    @Test
    void shouldHashAsSha256HexWhenGivenTheStandardTestVector() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                DeadLetters.sha256("abc".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void shouldStayUnderKafkasRequestLimitWhenTheOriginalIsManySmallHeaders() {
        RecordHeaders original = new RecordHeaders();
        for (int i = 0; i < 30_000; i++) {
            original.add("h", new byte[0]);
        }
        DeadLetters.Letter letter = letter(KEY, new byte[800 * 1024], headers(original));

        DeadLetters.Letter sent = DeadLetters.bounded(letter, BOUND);

        assertTrue(sent.truncated());
        assertTrue(sent.size() <= BOUND);
        assertTrue(kafkaSize(sent) <= KAFKA_REQUEST_LIMIT, "Kafka counts " + kafkaSize(sent) + " bytes for a record of 30,000 headers");
    }

    @Test
    void shouldDropTheOriginalHeadersThenCutTheKeyWhenTheyAlonePassTheBound() {
        byte[] key = new byte[1 << 20];
        Arrays.fill(key, (byte) 'k');
        RecordHeaders original = new RecordHeaders();
        original.add("blob", new byte[950 * 1024]);
        DeadLetters.Letter letter = letter(key, new byte[100], headers(original));

        DeadLetters.Letter sent = DeadLetters.bounded(letter, BOUND);

        assertTrue(sent.size() <= BOUND, sent.size() + " bytes");
        assertNull(sent.headers().lastHeader("blob"));
        assertEquals("1", text(sent.headers(), DeadLetters.ORIGINAL_HEADERS_DROPPED));
        assertEquals(Integer.toString(key.length), text(sent.headers(), DeadLetters.ORIGINAL_KEY_SIZE));
        assertArrayEquals(Arrays.copyOf(key, sent.key().length), sent.key());
        assertEquals("100", text(sent.headers(), DeadLetters.ORIGINAL_SIZE));
        assertTrue(DeadLetters.read(sent.headers()).isPresent(), "the dead-letter headers stay");
    }

    @Test
    void shouldFitTheLargestDeadLetterHeadersWhenTheBoundIsTheSmallestAllowed() {
        // 1,000 three-byte characters (the longest message) and a topic name of Kafka's longest, 249 characters
        Decoded.Rejection rejection = new Decoded.Rejection(RejectReason.INTERNAL_ERROR, "\u20ac".repeat(5000));
        Headers dlq = DeadLetters.headers(new RecordHeaders(), rejection, "t".repeat(249), Integer.MAX_VALUE, Long.MAX_VALUE,
                Long.MAX_VALUE);
        DeadLetters.Letter letter = new DeadLetters.Letter(KEY, new byte[1 << 20], dlq);

        DeadLetters.Letter sent = DeadLetters.bounded(letter, DeadLetters.MIN_BOUND_BYTES);

        assertTrue(sent.size() <= DeadLetters.MIN_BOUND_BYTES, sent.size() + " bytes");
        assertTrue(sent.value().length > 0, "room is left for a prefix");
    }

    @Test
    void shouldRefuseABoundWithoutRoomForTheDeadLetterHeaders() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeadLetters.requireBound(4096));

        assertTrue(e.getMessage().contains("resalign.streams.dlq-max-record-bytes=4096"), e.getMessage());
        assertTrue(e.getMessage().contains("at least " + DeadLetters.MIN_BOUND_BYTES), e.getMessage());
    }

    /** Returns a dead letter of an unknown-model rejection with {@code original}'s headers first. */
    private static Headers headers(Headers original) {
        Decoded.Rejection rejection = new Decoded.Rejection(RejectReason.UNKNOWN_MODEL, "model_name 'huge' is not loaded; expected one of [demo-mlp]");
        return DeadLetters.headers(original, rejection, "inference-samples", 2, 41L, 1_764_000_000_000L);
    }

    private static DeadLetters.Letter letter(byte[] key, byte[] value, Headers headers) {
        return new DeadLetters.Letter(key, value, headers);
    }

    /** Returns Kafka's own upper bound of the record in a batch, what the producer compares with max.request.size. */
    private static int kafkaSize(DeadLetters.Letter letter) {
        return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE, letter.key(),
                letter.value(), letter.headers().toArray());
    }

    private static String text(Headers headers, String key) {
        Header h = headers.lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
