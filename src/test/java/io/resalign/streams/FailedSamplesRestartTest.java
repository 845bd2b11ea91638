package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.streams.record.DeadLetters;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

/**
 * Scenario: a record's middle sample fails while its last one still waits, and the task restarts
 * (cleanly, or in a crash that keeps any prefix of its store's changelog, the record delivered
 * again). The failed sample must come back from the store with the record, and the record be
 * dead-lettered once, naming it, when its last sample is analysed; its other samples counted once.
 */
class FailedSamplesRestartTest extends FailingEngineTopology {

    /**
     * Sends a three-sample record whose middle sample fails (batches of 2), lets a commit make its state
     * durable or not, restarts both tasks from their changelogs with the engine fixed, and sends the
     * record again (the new driver numbers offsets from 0: its offset was not committed), then s-1.
     * Returns the record's value.
     */
    private byte[] failThenRestartFixed(boolean durable) {
        start(2);
        engine.poisoned.add("b-0#1");
        byte[] record = sendBatch(0, 3);
        if (durable) {
            durable();
        }
        List<KeyValue<String, byte[]>> writes = changelogWrites();
        List<KeyValue<String, byte[]>> monitorWrites = monitorWrites();
        assertTrue(deadLetters.isEmpty(), "sample 2 still pending: no dead letter yet");
        driver.close();

        engine.poisoned.clear();
        start(2);
        restore(writes);
        restoreMonitors(monitorWrites);
        sendBatch(0, 3);
        sendOne(1);
        return record;
    }

    /**
     * A restart between a record's failed sample and its last one, once a commit has made the failure
     * durable: TopologyTestDriver deletes its state on close, so the new tasks' stores get the old ones'
     * changelogs, as tasks without local state do.
     */
    @Test
    void shouldKeepTheFailedSamplesAcrossARestartAndDeadLetterTheRecordOnceWhenItsLastSampleIsAnalysed() {
        byte[] record = failThenRestartFixed(true);

        TestRecord<byte[], byte[]> dead = deadLetters.readRecord();
        assertTrue(deadLetters.isEmpty(), "once");
        assertArrayEquals(record, dead.value());
        assertEquals("1", header(dead, DeadLetters.SAMPLES), "the failed bit came back from the store");
        assertTrue(DeadLetters.read(dead.headers()).orElseThrow().message().contains("before the task restarted"));
        assertEquals(3, samplesSeen(), "b-0#0 before the restart, b-0#2 and s-1 after; the record delivered again is not taken twice");
    }

    /**
     * The same restart before any commit made the failure durable: the store holds the record as it
     * came, so all three samples are analysed again; the engine is fixed now, so the failed one passes
     * and nothing is dead-lettered. At least once: the failure was never acknowledged anywhere, and
     * the monitor takes each sample once.
     */
    @Test
    void shouldAnalyseTheWholeRecordAgainWhenTheRestartCameBeforeTheFailureWasDurable() {
        failThenRestartFixed(false);
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        assertTrue(deadLetters.readRecordsToList().isEmpty(), "the failure was not durable: retried, and it passes now");
        assertEquals(4, samplesSeen(), "b-0#0 once (its row was taken before the restart), b-0#1, b-0#2 and s-1");
    }

    /**
     * What a crash under at-least-once can leave of the task's writes while it takes a record whose
     * middle sample fails (CrashPrefixTest's model: a prefix of the changelog, the record delivered
     * again): for every prefix, a new task dead-letters the failed sample exactly once and counts the
     * two others once. Without the failed sample in the store before the head that covers it, the
     * prefix that ends with that head loses it: neither counted nor dead-lettered.
     */
    @Test
    void shouldDeadLetterTheFailedSampleOnceWhateverPrefixOfTheTasksWritesACrashLeaves() {
        start(2);
        engine.poisoned.add("b-0#1");
        byte[] record = sendBatch(0, 3);
        List<KeyValue<String, byte[]>> writes = changelogWrites();
        driver.close();

        for (int cut = 0; cut <= writes.size(); cut++) {
            start(2);
            restore(writes.subList(0, cut));
            sendBatch(0, 3); // delivered again: its offset was not committed
            sendOne(1);
            driver.advanceWallClockTime(Duration.ofSeconds(2));

            String where = "crash after " + cut + " of " + writes.size() + " writes";
            List<TestRecord<byte[], byte[]>> dead = deadLetters.readRecordsToList();
            assertEquals(1, dead.size(), where + ": one dead letter");
            assertArrayEquals(record, dead.get(0).value(), where);
            assertEquals("1", header(dead.get(0), DeadLetters.SAMPLES), where);
            assertEquals(3, samplesSeen(), where + ": b-0#0, b-0#2 and s-1, each once");
            driver.close();
        }
        driver = null;
    }
}
