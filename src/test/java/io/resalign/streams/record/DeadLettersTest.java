package io.resalign.streams.record;

import io.resalign.sample.RejectReason;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** Builds dead-letter headers and reads them back. */
class DeadLettersTest {

    @Test
    void shouldReadBackReasonAndSourceWhenHeadersRoundTrip() {
        // Step 1: a rejected binary record with its own headers.
        Headers original = RecordFixtures.binaryHeaders("FP32", "1,1,2,2");
        byte[] value = {1, 2, 3};
        Decoded.Rejection rejection = RecordFixtures.decode(original, value).rejection();

        // Step 2: dead-letter headers.
        Headers dlq = DeadLetters.headers(original, rejection, "inference-samples", 5, 1234L, 1_764_000_000_000L);

        // Step 3: the original headers come first and unchanged, then the dead-letter ones.
        List<Header> all = new ArrayList<>();
        dlq.forEach(all::add);
        List<Header> before = new ArrayList<>();
        original.forEach(before::add);
        for (int i = 0; i < before.size(); i++) {
            assertEquals(before.get(i).key(), all.get(i).key());
            assertArrayEquals(before.get(i).value(), all.get(i).value());
        }
        assertEquals(before.size() + 6, all.size());
        assertEquals(Optional.of(new DeadLetters.Info("truncated_payload", rejection.message(), "inference-samples", 5, 1234L,
                1_764_000_000_000L)), DeadLetters.read(dlq));
        assertEquals(Optional.of(RejectReason.TRUNCATED_PAYLOAD), DeadLetters.read(dlq).orElseThrow().knownReason());
        assertArrayEquals(new byte[] {1, 2, 3}, value);
    }

    @Test
    void shouldKeepOneSetOfDeadLetterHeadersWhenARecordIsRejectedAgain() {
        Decoded.Rejection first = new Decoded.Rejection(RejectReason.UNKNOWN_MODEL, "model_name 'x'; expected one of []");
        Decoded.Rejection second = new Decoded.Rejection(RejectReason.MALFORMED_JSON, "the value is not valid JSON; expected");
        Headers once = DeadLetters.headers(new RecordHeaders(), first, "inference-samples", 0, 1, 10);

        Headers twice = DeadLetters.headers(once, second, "inference-samples.replay", 2, 7, 20);

        int reasons = 0;
        for (Header h : twice) {
            reasons += h.key().equals(DeadLetters.REASON) ? 1 : 0;
        }
        assertEquals(1, reasons);
        assertEquals("malformed_json", DeadLetters.read(twice).orElseThrow().reason());
        assertEquals("inference-samples.replay", DeadLetters.read(twice).orElseThrow().sourceTopic());
    }

    @Test
    void shouldNameTheSamplesItStandsForAndKeepThemWhenAReplayedRecordIsRejectedAgain() {
        Decoded.Rejection failed = new Decoded.Rejection(RejectReason.INTERNAL_ERROR, "analysis of the batch failed for m:1");
        Decoded.Rejection unknown = new Decoded.Rejection(RejectReason.UNKNOWN_VERSION, "model_version '1'; expected one of [2]");
        Headers part = DeadLetters.headers(new RecordHeaders(), failed, "inference-samples", 0, 1, 10, "1,3");
        assertEquals(List.of("1,3"), values(part, DeadLetters.SAMPLES));

        // replayed with its headers and refused by the decoder: the dead letter still stands for samples 1 and 3
        assertEquals(List.of("1,3"), values(DeadLetters.headers(part, unknown, "inference-samples", 0, 2, 20), DeadLetters.SAMPLES));
        // replayed and failed again in part: the new selection replaces the old one
        assertEquals(List.of("3"), values(DeadLetters.headers(part, failed, "inference-samples", 0, 2, 20, "3"), DeadLetters.SAMPLES));
        // the whole record: no header
        assertEquals(List.of(), values(DeadLetters.headers(part, failed, "inference-samples", 0, 2, 20, null), DeadLetters.SAMPLES));
        assertEquals(List.of(), values(DeadLetters.headers(new RecordHeaders(), unknown, "t", 0, 2, 20), DeadLetters.SAMPLES));
    }

    private static List<String> values(Headers headers, String key) {
        List<String> out = new ArrayList<>();
        headers.headers(key).forEach(h -> out.add(new String(h.value(), StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void shouldCapTheMessageWhenItIsVeryLong() {
        Decoded.Rejection r = new Decoded.Rejection(RejectReason.INVALID_FIELD, "x".repeat(5000));

        Headers h = DeadLetters.headers(null, r, "t", 0, 0, 0);

        String message = new String(h.lastHeader(DeadLetters.MESSAGE).value(), StandardCharsets.UTF_8);
        assertTrue(message.length() <= 1000);
    }

    @Test
    void shouldReadNothingWhenTheHeadersAreNotADeadLetter() {
        assertEquals(Optional.empty(), DeadLetters.read(new RecordHeaders()));
    }
}
