package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.metrics.ResalignMetrics;
import io.resalign.sample.RejectReason;
import io.resalign.streams.record.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Scenario: the engine breaks on some inputs (a sample it cannot take) or on every batch (a device
 * out of memory). A failed batch is bisected: its good samples are applied, and only the failing
 * ones are dead-lettered, each record once, with its original value and, when it stands for some
 * of the record's samples, a header naming them, so that replaying it counts nothing twice. A
 * sticky failure costs at most 3 engine calls per batch. The engine is the real demo model behind a
 * wrapper that throws for the samples it is told are poisoned, or for everything while it is broken
 * ({@link FailingEngineTopology}); FailedSamplesRestartTest takes the failed samples across restarts.
 */
class BatchBisectionTest extends FailingEngineTopology {

    @Test
    void shouldApplyTheOtherSevenAndDeadLetterOnlyThePoisonedRecordWhenOneSampleOfABatchOfEightBreaksTheEngine() {
        start(8);
        engine.poisoned.add("s-3");
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            sent.add(sendOne(i));
        }

        TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
        assertTrue(deadLetters.isEmpty(), "one dead letter");
        assertArrayEquals(sent.get(3), dead.value(), "the poisoned record, unchanged");
        assertEquals("3", header(dead, DeadLetters.SOURCE_OFFSET));
        DeadLetters.Info info = DeadLetters.read(dead.headers()).orElseThrow();
        assertEquals(RejectReason.INTERNAL_ERROR.code(), info.reason());
        assertTrue(info.message().startsWith("analysis of the batch failed for demo-mlp:1"), info.message());
        assertTrue(info.message().contains("the engine cannot take sample s-3"), info.message());
        assertNull(header(dead, DeadLetters.SAMPLES), "a record of one sample stands for itself");

        assertEquals(7.0, count(ResalignMetrics.SAMPLES_PROCESSED), "the other seven are applied");
        assertEquals(7, samplesSeen());
        assertEquals(1.0, count(ResalignMetrics.SAMPLES_FAILED));
        assertEquals(1.0, count(ResalignMetrics.ANALYSIS_FAILURES), "one batch with a failure");
        assertEquals(0, metrics.consecutiveFailedBatches(MV), "samples passed: not a failed batch for readiness");
        // the batch, its halves [0-3] (fails) and [4-7] (passes, taken after the left half's samples),
        // then [0-1] and [2-3] (fails), then [2] and [3] (fails): 1 + 2 log2(8) calls
        assertEquals(List.of(8, 4, 4, 2, 2, 1, 1), engine.calls);
    }

    @Test
    void shouldDeadLetterOnlyTheFailedSampleOnceAndTakeOnlyItWhenTheDeadLetterIsReplayed() {
        start(2);
        engine.poisoned.add("b-0#1");
        // [b-0#0, b-0#1] fails in its second sample; b-0#2 waits, then goes with s-1
        byte[] record = sendBatch(0, 3);
        assertTrue(deadLetters.isEmpty(), "sample 2 of the record is still pending: no dead letter yet");
        assertEquals(bits(0, 1, 2), storedPending(0).pending(), "kept as it came until a commit has passed");
        durable();
        PendingRecord kept = storedPending(0);
        assertEquals(bits(1), kept.failedSamples(), "the failed sample is in the store");
        assertEquals(bits(2), kept.pending());
        sendOne(1);

        TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
        assertTrue(deadLetters.isEmpty(), "exactly one dead letter");
        assertArrayEquals(record, dead.value(), "the original value, not re-encoded");
        assertEquals("1", header(dead, DeadLetters.SAMPLES), "it stands for sample 1 of the record");
        assertEquals(3, samplesSeen(), "b-0#0, b-0#2 and s-1");
        assertEquals(1.0, count(ResalignMetrics.SAMPLES_FAILED));
        assertEquals(3.0, count(ResalignMetrics.SAMPLES_PROCESSED));
        durable();
        assertNull(storedPending(0), "nothing left pending");

        // Step 2: the engine is fixed; an operator replays the dead letter with its headers (kcat -H ...)
        engine.poisoned.clear();
        samples.pipeInput(new TestRecord<>(dead.key(), dead.value(), dead.headers(), START.plusSeconds(60)));
        driver.advanceWallClockTime(Duration.ofSeconds(2)); // its batch of one waited the max wait

        assertEquals(4, samplesSeen(), "only sample 1 is taken: nothing is counted twice");
        assertEquals(4.0, count(ResalignMetrics.SAMPLES_PROCESSED));
        assertEquals(3 + 1 + 1.0, count(ResalignMetrics.SAMPLES_IN), "the replayed record counts one sample in");
        assertTrue(deadLetters.isEmpty());
    }

    @Test
    void shouldCostAtMostThreeEngineCallsPerBatchAndDeadLetterEveryRecordOnceWhenTheFailureIsSticky() {
        start(4);
        engine.broken = true;
        List<byte[]> sent = new ArrayList<>();
        sent.add(sendOne(0));
        sent.add(sendOne(1));
        sent.add(sendBatch(2, 3)); // its samples fail in two batches: [s-0, s-1, b-2#0, b-2#1] and [b-2#2, b-5#0 ..]
        sent.add(sendBatch(5, 3));
        sent.add(sendOne(8));
        sent.add(sendOne(9));
        driver.advanceWallClockTime(Duration.ofSeconds(2)); // the last batch, of 2

        List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
        assertEquals(6, dead.size(), "every record once");
        for (int r = 0; r < 6; r++) {
            assertArrayEquals(sent.get(r), dead.get(r).value(), "record " + r + ", unchanged");
            assertEquals(Integer.toString(r), header(dead.get(r), DeadLetters.SOURCE_OFFSET));
            assertNull(header(dead.get(r), DeadLetters.SAMPLES), "all its samples failed: it stands for the whole record");
        }
        assertEquals(List.of(4, 2, 2, 4, 2, 2, 2, 1, 1), engine.calls, "each batch and its two halves, no more");
        assertEquals(3, metrics.consecutiveFailedBatches(MV), "three batches failed entirely, in a row");
        assertEquals(3.0, count(ResalignMetrics.ANALYSIS_FAILURES));
        assertEquals(10.0, count(ResalignMetrics.SAMPLES_FAILED));
        assertEquals(0.0, count(ResalignMetrics.SAMPLES_PROCESSED));

        // a batch in which bisection isolates one bad sample ends the run: the model is not failing
        engine.broken = false;
        engine.poisoned.add("s-12");
        for (int i = 10; i < 14; i++) {
            sendOne(i);
        }
        assertEquals(0, metrics.consecutiveFailedBatches(MV));
        assertEquals(1, deadLetters.readRecordsToList().size());
        assertEquals(3.0, count(ResalignMetrics.SAMPLES_PROCESSED));
    }

    @Test
    void shouldRejectARecordWhoseSamplesHeaderIsMalformed() {
        start(2);
        RecordHeaders headers = new RecordHeaders();
        headers.add(DeadLetters.SAMPLES, "1-5".getBytes(StandardCharsets.UTF_8));
        byte[] value = DemoRecords.validBatch(0, 3, time(0));
        samples.pipeInput(new TestRecord<>(DemoRecords.MODEL.getBytes(), value, headers, START));

        TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
        DeadLetters.Info info = DeadLetters.read(dead.headers()).orElseThrow();
        assertEquals(RejectReason.INVALID_SAMPLE_SELECTION.code(), info.reason());
        assertTrue(info.message().contains("header resalign.dlq.samples '1-5': it names sample 5 but the record carries 3 samples"),
                info.message());
        assertEquals("1-5", header(dead, DeadLetters.SAMPLES), "kept as it came");
        assertArrayEquals(value, dead.value());
        assertEquals(0.0, count(ResalignMetrics.SAMPLES_IN));
        assertEquals(1.0, meters.find(ResalignMetrics.RECORDS_REJECTED).tags("reason", "invalid_sample_selection").counter().count());
    }

    @Test
    void shouldRethrowAKafkaExceptionInsteadOfBisecting() {
        start(2);
        engine.thrown = new KafkaException("a store write failed (test)");
        sendOne(0);
        assertThrows(RuntimeException.class, () -> sendOne(1));
        assertEquals(List.of(2), engine.calls, "one call: a Kafka exception is not the batch's");
        assertTrue(deadLetters.isEmpty());
    }
}
