package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.metrics.StreamFailureMeters;
import io.resalign.sample.RejectReason;
import io.resalign.streams.record.DeadLetters;
import io.resalign.streams.record.Decoded;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/**
 * Scenario: the processor forwards dead letters to the node in front of the dead-letter sink. One
 * that fits goes on as it is; one over the bound goes on as its bounded form, to the sink, counted.
 */
class DeadLetterBoundTest {
    private static final int BOUND = 900 * 1024;

    private final StreamFailureMeters meters = new ResalignMetrics(new SimpleMeterRegistry()).streamFailures();
    private final MockProcessorContext<byte[], byte[]> context = new MockProcessorContext<>();

    @Test
    void shouldForwardABoundedCopyToTheSinkAndCountItWhenTheDeadLetterPassesTheBound() {
        DeadLetterBound node = node();
        byte[] value = new byte[3 << 20];
        Arrays.fill(value, (byte) '7');

        node.process(new Record<>(new byte[] {'k'}, value, 1234L, deadLetterHeaders()));

        List<MockProcessorContext.CapturedForward<? extends byte[], ? extends byte[]>> sent = context.forwarded(TopologyProducer.DLQ_SINK);
        assertEquals(1, sent.size());
        Record<? extends byte[], ? extends byte[]> r = sent.get(0).record();
        DeadLetters.Letter letter = new DeadLetters.Letter(r.key(), r.value(), r.headers());
        assertEquals(BOUND, letter.size());
        assertTrue(letter.truncated());
        assertArrayEquals(Arrays.copyOf(value, r.value().length), r.value());
        assertEquals(1234L, r.timestamp());
        assertEquals(1, meters.deadLettersTruncated());
    }

    @Test
    void shouldForwardTheDeadLetterAsItIsWhenItFits() {
        DeadLetterBound node = node();
        byte[] value = {1, 2, 3};
        Headers headers = deadLetterHeaders();

        node.process(new Record<>(new byte[] {'k'}, value, 1234L, headers));

        Record<? extends byte[], ? extends byte[]> r = context.forwarded(TopologyProducer.DLQ_SINK).get(0).record();
        assertSame(value, r.value());
        assertNull(r.headers().lastHeader(DeadLetters.TRUNCATED));
        assertEquals(0, meters.deadLettersTruncated());
    }

    @Test
    void shouldRefuseABoundBelowTheMinimumWhenBuilt() {
        assertThrows(IllegalArgumentException.class, () -> new DeadLetterBound(DeadLetters.MIN_BOUND_BYTES - 1, meters));
    }

    private DeadLetterBound node() {
        DeadLetterBound node = new DeadLetterBound(BOUND, meters);
        node.init(context);
        return node;
    }

    private static Headers deadLetterHeaders() {
        return DeadLetters.headers(new RecordHeaders(), new Decoded.Rejection(RejectReason.MALFORMED_JSON, "not JSON; expected an object"),
                "inference-samples", 0, 9L, 1_764_000_000_000L);
    }
}
