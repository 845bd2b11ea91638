package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.sample.RejectReason;
import io.resalign.streams.record.DeadLetters;
import io.resalign.streams.record.Decoded;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HexFormat;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The value codec of the pending-sample store, the order of its keys, and the dead letter of a record. */
class PendingRecordTest {

    @Test
    void shouldRoundTripKeyValueHeadersOriginAndPendingSamples() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("content-type", "application/json".getBytes());
        headers.add("empty", null);
        BitSet pending = new BitSet();
        pending.set(0);
        pending.set(3);
        BitSet failed = new BitSet();
        failed.set(1);
        PendingRecord original = new PendingRecord(null, new byte[] {1, 2, 3}, headers, "inference-samples", 2, 1234L, 99L, 5, pending,
                failed);

        PendingRecord copy = PendingRecord.fromBytes(original.toBytes());

        assertNull(copy.key());
        assertArrayEquals(new byte[] {1, 2, 3}, copy.value());
        assertEquals(Arrays.asList(headers.toArray()), Arrays.asList(copy.headers().toArray()));
        assertEquals("inference-samples", copy.topic());
        assertEquals(2, copy.partition());
        assertEquals(1234L, copy.offset());
        assertEquals(99L, copy.timestamp());
        assertTrue(copy.isPending(0) && copy.isPending(3));
        assertFalse(copy.isPending(1));
        assertEquals(2, copy.pendingCount());
        assertEquals(5, copy.samples());
        assertEquals(failed, copy.failedSamples(), "the failed samples survive the store");
        assertEquals(original.storeKey(), copy.storeKey());
    }

    /**
     * The value of a record with samples 0 and 3 pending, as builds before failed samples were kept
     * wrote it (tag P, format 1, the fields up to the pending samples): it must read as none failed,
     * its sample count unknown; this build writes it the same while none of its samples failed.
     */
    @Test
    void shouldReadTheFormOfEarlierBuildsAsNoneFailed() {
        byte[] earlier = HexFormat.of().parseHex("50010011696e666572656e63652d73616d706c65730000000200000000000004d2000000000000006300"
                + "010000000301020300000001000c636f6e74656e742d7479706501000000106170706c69636174696f6e2f6a736f6e0000000109");

        PendingRecord read = PendingRecord.fromBytes(earlier);

        assertTrue(read.isPending(0) && read.isPending(3));
        assertEquals(2, read.pendingCount());
        assertFalse(read.hasFailed(), "none failed");
        assertEquals(-1, read.samples(), "not known");
        assertEquals(PendingRecord.storeKey(2, 1234), read.storeKey());
        assertArrayEquals(new byte[] {1, 2, 3}, read.value());
        assertArrayEquals(earlier, read.toBytes(), "without a failed sample this build writes the earlier form, which earlier builds read");
        read.markFailed(3);
        byte[] failed = read.toBytes();
        assertArrayEquals(earlier, Arrays.copyOf(failed, earlier.length), "a failed sample appends to the earlier form");
        assertEquals(read.failedSamples(), PendingRecord.fromBytes(failed).failedSamples());
    }

    @Test
    void shouldNameOnlyItsFailedSamplesWhenADeadLetterStandsForPartOfTheRecord() {
        BitSet failed = new BitSet();
        failed.set(16, 32);
        failed.set(40);
        PendingRecord r = new PendingRecord(new byte[] {7}, new byte[] {1, 2}, new RecordHeaders(), "inference-samples", 0, 8, 5, 64,
                new BitSet(), failed);
        Decoded.Rejection why = new Decoded.Rejection(RejectReason.INTERNAL_ERROR, "analysis of the batch failed");

        var letter = r.deadLetter(why, r.failedSamples(), 100);

        assertArrayEquals(new byte[] {1, 2}, letter.value(), "the original value");
        assertEquals("16-31,40", new String(letter.headers().lastHeader(DeadLetters.SAMPLES).value(), StandardCharsets.UTF_8));
        BitSet all = new BitSet();
        all.set(0, 64);
        assertNull(r.deadLetter(why, all, 100).headers().lastHeader(DeadLetters.SAMPLES), "every sample: the whole record, no header");
        PendingRecord unknownCount = new PendingRecord(null, new byte[] {1}, new RecordHeaders(), "t", 0, 0, 0, -1, new BitSet(), all);
        assertEquals("0-63", new String(unknownCount.deadLetter(why, all, 100).headers().lastHeader(DeadLetters.SAMPLES).value(),
                StandardCharsets.UTF_8), "without a known count the dead letter names its samples");
    }

    @Test
    void shouldBeDoneWhenItsLastPendingSampleIsDone() {
        BitSet pending = new BitSet();
        pending.set(1);
        pending.set(2);
        PendingRecord r = new PendingRecord(new byte[0], new byte[0], new RecordHeaders(), "t", 0, 0, 0, 3, pending, new BitSet());
        assertFalse(r.markDone(1));
        assertTrue(r.markDone(2));
        assertTrue(r.isDone());
    }

    @Test
    void shouldOrderStoreKeysByPartitionThenOffset() {
        String[] keys = {PendingRecord.storeKey(0, 5), PendingRecord.storeKey(0, 300), PendingRecord.storeKey(0, 1L << 40),
                PendingRecord.storeKey(1, 0), PendingRecord.storeKey(Integer.MAX_VALUE, Long.MAX_VALUE)};
        for (int i = 1; i < keys.length; i++) {
            // RocksDB compares the UTF-8 bytes; these keys are ASCII
            assertTrue(Arrays.compareUnsigned(keys[i - 1].getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    keys[i].getBytes(java.nio.charset.StandardCharsets.UTF_8)) < 0, keys[i - 1] + " sorts before " + keys[i]);
            assertTrue(keys[i].startsWith(PendingRecord.KEY_PREFIX), keys[i]);
        }
    }

    @Test
    void shouldRefuseBytesThatAreNotAPendingRecord() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PendingRecord.fromBytes(new byte[] {'M', 1}));
        assertTrue(e.getMessage().contains("pending sample record"), e.getMessage());
    }
}
