package io.resalign.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.DriftSettings;
import io.resalign.drift.ModelVersion;
import org.junit.jupiter.api.Test;

/**
 * The watermark of a monitor's source partitions: which positions it covers, that it only moves
 * forward, and that it survives the monitor's head record (and that a monitor without positions
 * still writes the head of earlier builds, tag {@code H}).
 */
class SourcePositionsTest {
    private static final ModelVersion MV = new ModelVersion("m", "1");
    private static final DriftSettings SETTINGS = DriftSettings.defaults().withReferenceSize(40).withWindow(20, 10)
            .withBootstrapReplicates(200);

    @Test
    void shouldCoverEverySampleUpToTheLastHandledOnePerPartitionAndOnlyMoveForward() {
        SourcePositions p = new SourcePositions();
        assertFalse(p.covers(0, 0, 0), "nothing handled yet");
        p.advance(0, 10, 2);
        assertTrue(p.covers(0, 9, 63), "an earlier record, whatever its index");
        assertTrue(p.covers(0, 10, 0) && p.covers(0, 10, 2), "the same record up to its index");
        assertFalse(p.covers(0, 10, 3), "a later sample of the same record");
        assertFalse(p.covers(0, 11, 0), "a later record");
        assertFalse(p.covers(1, 0, 0), "another partition");
        p.advance(0, 5, 0);
        assertTrue(p.covers(0, 10, 2) && !p.covers(0, 10, 3), "an older position does not move the watermark back");
        p.advance(1, 0, 0);
        assertEquals("{0@10#2, 1@0#0}", p.toString());
        assertThrows(IllegalArgumentException.class, () -> p.advance(-1, 0, 0), "a record without a partition has no position");
    }

    @Test
    void shouldReadBackThePositionsFromTheHeadAndWriteTheEarlierHeadWithoutThem() {
        SyntheticSamples samples = new SyntheticSamples(4);
        ModelMonitor monitor = new ModelMonitor(MV, SyntheticSamples.SCHEMA, SETTINGS, "cpu");
        for (int i = 0; i < 55; i++) {
            monitor.accept(samples.next(i), ModelMonitorTest.time(i));
        }
        InMemoryRecords without = new InMemoryRecords();
        monitor.save(without);
        assertEquals('H', without.get(MonitorRecords.headKey(MV))[0], "no positions: the head of earlier builds");

        monitor.positions().advance(2, 1_000_000_000_000L, 7);
        monitor.positions().advance(0, 3, 0);
        InMemoryRecords with = new InMemoryRecords(without); // a save writes what changed since the last one
        monitor.save(with);
        byte[] head = with.get(MonitorRecords.headKey(MV));
        assertEquals('S', head[0]);

        ModelMonitor restored = ModelMonitor.load(with, MV, SyntheticSamples.SCHEMA, SETTINGS, "cpu").orElseThrow();
        assertEquals("{0@3#0, 2@1000000000000#7}", restored.positions().toString());
        assertEquals(monitor.samplesSeen(), restored.samplesSeen());
        InMemoryRecords again = new InMemoryRecords(with);
        restored.save(again);
        assertArrayEquals(head, again.get(MonitorRecords.headKey(MV)), "read and written again: the same bytes");
        assertTrue(ModelMonitor.load(without, MV, SyntheticSamples.SCHEMA, SETTINGS, "cpu").orElseThrow().positions().isEmpty());
    }
}
