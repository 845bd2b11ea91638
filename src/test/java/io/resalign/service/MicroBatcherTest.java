package io.resalign.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.sample.SampleRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Size, max wait and the rate limit of the micro-batcher, driven by an explicit clock. */
class MicroBatcherTest {

    static SampleRecord record(int i) {
        return new SampleRecord("m", "1", "r" + i, 1_000L + i, new float[] {i, i}, new long[] {2}, Optional.empty(), OptionalInt.empty());
    }

    @Test
    void shouldReturnTheBatchWhenMaxSizeIsReached() {
        MicroBatcher batcher = new MicroBatcher(3, 1_000, 0);

        assertTrue(batcher.add(record(0), 0).isEmpty());
        assertTrue(batcher.add(record(1), 1).isEmpty());
        Optional<List<SampleRecord>> batch = batcher.add(record(2), 2);

        assertEquals(List.of(record(0), record(1), record(2)), batch.orElseThrow());
        assertEquals(0, batcher.pending());
        assertTrue(batcher.poll(10_000).isEmpty(), "no more output");
    }

    @Test
    void shouldReturnThePendingBatchOnlyWhenItsOldestRecordHasWaitedMaxWait() {
        MicroBatcher batcher = new MicroBatcher(100, 50, 0);
        batcher.add(record(0), 1_000);
        batcher.add(record(1), 1_040);

        assertEquals(OptionalLong.of(1_050), batcher.deadline());
        assertTrue(batcher.poll(1_049).isEmpty(), "the oldest record has waited 49 ms");
        assertEquals(List.of(record(0), record(1)), batcher.poll(1_050).orElseThrow());
        assertTrue(batcher.poll(2_000).isEmpty(), "no more output");
        assertEquals(OptionalLong.empty(), batcher.deadline());

        batcher.add(record(2), 3_000);
        assertTrue(batcher.poll(3_049).isEmpty(), "the wait restarts with the next batch's first record");
        assertEquals(1, batcher.poll(3_050).orElseThrow().size());
    }

    @Test
    void shouldSkipAndCountRecordsWhenTheRateLimitIsExceeded() {
        MicroBatcher batcher = new MicroBatcher(1_000, 1_000, 10);
        List<SampleRecord> in = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            in.add(record(i));
            batcher.add(record(i), 5_000);
        }
        assertEquals(10, batcher.accepted(), "a full bucket holds one second's worth");
        assertEquals(15, batcher.skipped());

        for (int i = 0; i < 10; i++) {
            batcher.add(record(100 + i), 5_500);
        }
        assertEquals(15, batcher.accepted(), "half a second refills 5 tokens");
        assertEquals(20, batcher.skipped());
        List<SampleRecord> expected = new ArrayList<>(in.subList(0, 10));
        for (int i = 0; i < 5; i++) {
            expected.add(record(100 + i));
        }
        assertEquals(expected, batcher.drain().orElseThrow(), "only admitted records are batched, in arrival order");
        assertTrue(batcher.drain().isEmpty(), "no more output");
    }

    @Test
    void shouldAdmitEverythingWhenTheRateLimitIsZero() {
        MicroBatcher batcher = new MicroBatcher(10_000, 0, 0);
        for (int i = 0; i < 5_000; i++) {
            batcher.add(record(i), 0);
        }
        assertEquals(5_000, batcher.accepted());
        assertEquals(0, batcher.skipped());
        assertEquals(5_000, batcher.poll(0).orElseThrow().size(), "max wait 0: due at once");
    }

    @Test
    void shouldNotRefillWhenTheClockStepsBack() {
        MicroBatcher batcher = new MicroBatcher(100, 1_000, 2);
        batcher.add(record(0), 10_000);
        batcher.add(record(1), 10_000);
        batcher.add(record(2), 9_000);
        assertEquals(2, batcher.accepted());
        assertEquals(1, batcher.skipped());
    }

    @Test
    void shouldReadmitRecordsFromBeforeARestartWithoutTakingTokensOrCountingThem() {
        MicroBatcher batcher = new MicroBatcher(3, 1_000, 1.0); // one sample per second
        assertTrue(batcher.readmit(record(0), 0).isEmpty());
        assertTrue(batcher.readmit(record(1), 0).isEmpty());
        assertEquals(0, batcher.accepted() + batcher.skipped(), "counted when first admitted, not again");

        assertEquals(List.of(record(0), record(1), record(2)), batcher.add(record(2), 0).orElseThrow(),
                "the bucket is still full: admitted, and it completes the batch");
        batcher.add(record(3), 0);
        assertEquals(1, batcher.skipped(), "the bucket is empty now");
    }

    @Test
    void shouldSkipAndCountARecordTheAdmissionTestRefusesWithoutTakingAToken() {
        java.util.List<Long> asked = new ArrayList<>();
        MicroBatcher batcher = new MicroBatcher(1, 0, 1.0, now -> {
            asked.add(now);
            return now >= 2_000;
        });

        assertTrue(batcher.add(record(0), 1_000).isEmpty(), "refused by the admission test");
        assertEquals(1, batcher.skipped());
        assertEquals(List.of(record(1)), batcher.add(record(1), 2_000).orElseThrow(), "the bucket still holds its token");
        assertEquals(List.of(1_000L, 2_000L), asked);
        assertEquals(1, batcher.accepted());
        assertTrue(batcher.readmit(record(2), 0).isPresent(), "a readmitted record is not asked again");
        assertEquals(2, asked.size());
    }
}
