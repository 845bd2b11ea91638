package io.resalign.streams.record;

import static io.resalign.streams.record.RecordFixtures.assertRejected;
import static io.resalign.streams.record.RecordFixtures.bytes;
import static io.resalign.streams.record.RecordFixtures.decode;
import static io.resalign.streams.record.RecordFixtures.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.sample.RejectReason;
import io.resalign.sample.RejectedException;
import java.util.BitSet;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The samples a dead letter stands for ({@code resalign.dlq.samples}): written as indices and
 * ranges, read back to the same set, and honoured by the decoder on a replayed record, which keeps
 * every sample (indices stay the record's) and names the selected ones; a header that names no
 * samples of the record rejects it, naming the header and what was expected.
 */
class SampleSelectionTest {
    /** Four samples of the tiny model, ids req-1#0 .. req-1#3. */
    private static final String FOUR = json("\"shape\":[4,1,2,2],\"datatype\":\"FP32\",\"data\":[0,1,2,3,0,1,2,3,0,1,2,3,0,1,2,3]", "");

    private static BitSet bits(int... indices) {
        BitSet b = new BitSet();
        for (int i : indices) {
            b.set(i);
        }
        return b;
    }

    private static Headers selecting(String value) {
        RecordHeaders h = new RecordHeaders();
        h.add(DeadLetters.SAMPLES, bytes(value));
        return h;
    }

    @Test
    void shouldWriteRunsAsRangesWhenFormattingIndices() {
        BitSet b = bits(40);
        b.set(16, 32);
        assertEquals("16-31,40", SampleSelection.format(b));
        assertEquals("1", SampleSelection.format(bits(1)));
        assertEquals("0-1,3", SampleSelection.format(bits(0, 1, 3)));
    }

    @Test
    void shouldReadBackWhatItWrites() throws RejectedException {
        BitSet b = bits(0, 2, 3, 4, 9, 63);
        assertEquals(b, SampleSelection.parse(SampleSelection.format(b), 64));
        assertEquals(bits(1, 2, 3, 5), SampleSelection.parse(" 5 , 1-3", 6), "any order, spaces around parts");
    }

    @Test
    void shouldSelectTheNamedSamplesAndKeepEveryIndexWhenARecordCarriesTheHeader() {
        Decoded d = decode(selecting("1,3"), bytes(FOUR));

        assertEquals(4, d.samples().size(), "every sample, so that index i stays the record's entry i");
        assertEquals(bits(1, 3), d.selected());
        assertEquals("req-1#3", d.samples().get(3).id());
        assertEquals(bits(0, 1, 2, 3), decode(new RecordHeaders(), bytes(FOUR)).selected(), "no header: all of them");
    }

    @ParameterizedTest(name = "''{0}'' is refused: {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "4|names sample 4 but the record carries 4 samples",
            "1-x|'1-x' is not a sample index or a range of them",
            "3-1|the range '3-1' runs backwards",
            "1,,2|'' is not a sample index or a range of them",
            "-1|'-1' is not a sample index or a range of them",
            "all|'all' is not a sample index or a range of them"})
    void shouldRejectTheRecordNamingTheHeaderWhenTheSelectionIsMalformed(String value, String why) {
        Decoded.Rejection r = assertRejected(decode(selecting(value), bytes(FOUR)), RejectReason.INVALID_SAMPLE_SELECTION,
                DeadLetters.SAMPLES);
        assertTrue(r.message().contains(why), r.message());
        assertTrue(r.message().contains("within 0-3"), r.message());
    }

    @Test
    void shouldRejectAnEmptyHeaderAsAMalformedSelection() {
        assertRejected(decode(selecting(" "), bytes(FOUR)), RejectReason.INVALID_SAMPLE_SELECTION, "empty");
    }

    @Test
    void shouldRefuseToFormatNoSample() {
        assertThrows(IllegalArgumentException.class, () -> SampleSelection.format(new BitSet()));
    }
}
