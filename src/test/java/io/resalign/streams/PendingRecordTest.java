package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.BitSet;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** The value codec of the pending-sample store, and the order of its keys. */
class PendingRecordTest {

    @Test
    void shouldRoundTripKeyValueHeadersOriginAndPendingSamples() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("content-type", "application/json".getBytes());
        headers.add("empty", null);
        BitSet pending = new BitSet();
        pending.set(0);
        pending.set(3);
        PendingRecord original = new PendingRecord(null, new byte[] {1, 2, 3}, headers, "inference-samples", 2, 1234L, 99L, pending);

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
        assertEquals(original.storeKey(), copy.storeKey());
    }

    @Test
    void shouldBeDoneWhenItsLastPendingSampleIsDone() {
        BitSet pending = new BitSet();
        pending.set(1);
        pending.set(2);
        PendingRecord r = new PendingRecord(new byte[0], new byte[0], new RecordHeaders(), "t", 0, 0, 0, pending);
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
