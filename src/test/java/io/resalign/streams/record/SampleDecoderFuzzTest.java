package io.resalign.streams.record;

import io.resalign.sample.Datatype;
import io.resalign.sample.RejectReason;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * Mutates valid payloads and headers at random: the decoder must always answer with samples or
 * a rejection, and never with {@code internal_error} (which would mean it threw). A fixed seed
 * makes a failure reproducible.
 */
class SampleDecoderFuzzTest {
    private static final int ROUNDS = 20_000;
    private static final byte[] INTERESTING = "[]{},:\"-0123456789eE.N\u0000\u00ff".getBytes(StandardCharsets.ISO_8859_1);

    @Test
    void shouldAlwaysReturnSamplesOrARejectionWhenPayloadsAreMutated() {
        SampleDecoder decoder = RecordFixtures.decoder();
        SplittableRandom random = new SplittableRandom(20261127L);
        List<byte[]> jsons = List.of(
                RecordFixtures.bytes(RecordFixtures.json(",\"timestamp\":1764000000123,\"prediction\":[0.1,0.2,0.7],\"label\":2")),
                RecordFixtures.bytes(RecordFixtures.json("\"shape\":[2,1,2,2],\"datatype\":\"UINT8\",\"data\":[[[[0,1],[2,3]]],[[[4,5],[6,7]]]]",
                        ",\"label\":[0,1],\"outputs\":[{\"name\":\"o\",\"shape\":[2],\"datatype\":\"INT64\",\"data\":[1,2]}]")));
        Map<RejectReason, Integer> seen = new EnumMap<>(RejectReason.class);
        int accepted = 0;

        for (int round = 0; round < ROUNDS; round++) {
            Decoded d;
            if (round % 2 == 0) {
                byte[] value = mutate(jsons.get(random.nextInt(jsons.size())), random);
                d = decoder.decode("t", 0, round, round, null, value);
            } else {
                Datatype dt = Datatype.values()[random.nextInt(Datatype.values().length - 1)];
                float[] values = dt == Datatype.BOOL ? new float[] {1, 0, 1, 1} : RecordFixtures.VALUES;
                Headers headers = mutate(RecordFixtures.binaryHeaders(dt.name(), "1,1,2,2"), random);
                d = decoder.decode("t", 0, round, round, headers, mutate(RecordFixtures.tensor(dt, values), random));
            }
            assertNotNull(d);
            if (d.rejected()) {
                seen.merge(d.rejection().reason(), 1, Integer::sum);
                Decoded copy = d;
                assertNotEquals(RejectReason.INTERNAL_ERROR, d.rejection().reason(), () -> copy.rejection().message());
            } else {
                accepted++;
            }
        }
        // The mutations must exercise both outcomes, or the test proves little.
        assertNotEquals(0, accepted);
        assertNotEquals(0, seen.size(), seen::toString);
        System.out.println("fuzz: " + accepted + " accepted, rejected by reason " + seen);
    }

    private static byte[] mutate(byte[] in, SplittableRandom random) {
        byte[] b = in;
        int edits = 1 + random.nextInt(4);
        for (int e = 0; e < edits; e++) {
            int kind = random.nextInt(6);
            int at = b.length == 0 ? 0 : random.nextInt(b.length);
            switch (kind) {
                case 0 -> { // flip a bit
                    if (b.length > 0) {
                        b = b.clone();
                        b[at] ^= (byte) (1 << random.nextInt(8));
                    }
                }
                case 1 -> b = Arrays.copyOf(b, at); // truncate
                case 2 -> { // delete one byte
                    if (b.length > 0) {
                        byte[] c = new byte[b.length - 1];
                        System.arraycopy(b, 0, c, 0, at);
                        System.arraycopy(b, at + 1, c, at, b.length - at - 1);
                        b = c;
                    }
                }
                case 3 -> { // insert an interesting byte
                    byte[] c = new byte[b.length + 1];
                    System.arraycopy(b, 0, c, 0, at);
                    c[at] = INTERESTING[random.nextInt(INTERESTING.length)];
                    System.arraycopy(b, at, c, at + 1, b.length - at);
                    b = c;
                }
                case 4 -> { // duplicate a slice
                    int len = Math.min(b.length - at, 1 + random.nextInt(16));
                    byte[] c = new byte[b.length + len];
                    System.arraycopy(b, 0, c, 0, at + len);
                    System.arraycopy(b, at, c, at + len, b.length - at);
                    b = c;
                }
                default -> { // leave as is
                }
            }
        }
        return b;
    }

    private static Headers mutate(Headers headers, SplittableRandom random) {
        RecordHeaders out = new RecordHeaders();
        for (Header h : headers) {
            int r = random.nextInt(10);
            if (r == 0) {
                continue; // drop the header
            }
            out.add(h.key(), r == 1 ? mutate(h.value(), random) : h.value());
        }
        return out;
    }
}
