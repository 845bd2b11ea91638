package io.resalign.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.resalign.sample.file.SampleBatch;
import io.resalign.sample.file.SampleReaders;
import io.resalign.config.Topics;
import io.resalign.streams.record.Decoded;
import io.resalign.sample.ModelsDirectoryCatalog;
import io.resalign.streams.record.SampleDecoder;
import io.resalign.sample.SampleRecord;

/** The demo's records are valid sample records: the service's own decoder accepts them as they are. */
class DemoRecordsTest {

    private static final Path MODELS = Path.of("models");
    private static final Path BUNDLED = MODELS.resolve("demo-mlp/samples.npy");
    private static final Instant NOW = Instant.parse("2026-11-27T10:15:30.123Z");

    private static SampleDecoder decoder;
    private static DemoModel model;

    @BeforeAll
    static void catalog() throws IOException {
        decoder = new SampleDecoder(ModelsDirectoryCatalog.read(MODELS));
        model = DemoModel.find(MODELS, "demo-mlp");
    }

    @Test
    void theModelIsFoundByNameWithItsManifestVersionAndShape() {
        assertEquals("demo-mlp", model.name());
        assertEquals("1", model.version());
        assertArrayEquals(new long[] {1, 28, 28}, model.sampleShape());
        assertEquals(784, model.sampleLength());
        assertThrows(IOException.class, () -> DemoModel.find(MODELS, "no-such-model"));
    }

    @Test
    void anFp32RecordKeepsItsValuesExactlyAndOtherDatatypesAreRefused() {
        float[] values = new float[784];
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * 1e3); // negative, fractional, beyond 255: nothing is clipped
        }
        byte[] json = DemoRecords.json("demo-mlp", "1", "fp-1", NOW, new long[] {1, 28, 28}, io.resalign.sample.Datatype.FP32,
                values, OptionalInt.empty());
        SampleRecord s = decodeOne(DemoRecords.record(Topics.INFERENCE_SAMPLES, "demo-mlp", "clean", json));
        assertArrayEquals(values, s.data());
        assertEquals(NOW.toEpochMilli(), s.timestamp());
        assertTrue(s.label().isEmpty());
        assertThrows(IllegalArgumentException.class, () -> DemoRecords.json("demo-mlp", "1", "x", NOW, new long[] {1, 28, 28},
                io.resalign.sample.Datatype.INT64, values, OptionalInt.empty()));
    }

    @Test
    void aBuiltRecordDecodesIntoTheImageWithItsShapeLabelIdAndTime() throws IOException {
        float[] pixels = ImageTransformsTest.ramp(784);
        pixels[0] = 12.6f; // rounded
        pixels[1] = 300f; // clipped
        byte[] json = DemoRecords.json("demo-mlp", "1", "demo-x-7", NOW, new long[] {1, 28, 28}, pixels, OptionalInt.of(9));
        ProducerRecord<String, byte[]> record = DemoRecords.record(Topics.INFERENCE_SAMPLES, "demo-mlp", "clean", json);
        assertEquals("demo-mlp", record.key());
        assertEquals("application/json", new String(record.headers().lastHeader("content-type").value(), StandardCharsets.UTF_8));
        SampleRecord s = decodeOne(record);
        assertEquals("demo-mlp", s.model());
        assertEquals("1", s.version());
        assertEquals("demo-x-7", s.id());
        assertEquals(NOW.toEpochMilli(), s.timestamp());
        assertArrayEquals(new long[] {1, 28, 28}, s.shape());
        assertEquals(OptionalInt.of(9), s.label());
        assertTrue(s.prediction().isEmpty());
        float[] expected = pixels.clone();
        expected[0] = 13f;
        expected[1] = 255f;
        assertArrayEquals(expected, s.data());
        String text = new String(json, StandardCharsets.UTF_8);
        assertTrue(text.startsWith("{\"model_name\":\"demo-mlp\",\"model_version\":\"1\",\"id\":\"demo-x-7\","
                + "\"timestamp\":\"2026-11-27T10:15:30.123Z\",\"inputs\":[{\"name\":\"input-0\",\"shape\":[1,1,28,28],"
                + "\"datatype\":\"UINT8\",\"data\":[13,255,"), text.substring(0, 200));
        assertTrue(text.endsWith("],\"label\":9}"), text.substring(text.length() - 40));
    }

    @Test
    void aRecordWithoutLabelHasNoLabelField() {
        byte[] json = DemoRecords.json("demo-mlp", "1", "a", NOW, new long[] {1, 28, 28}, new float[784], OptionalInt.empty());
        assertFalse(new String(json, StandardCharsets.UTF_8).contains("label"));
        assertTrue(decodeOne(DemoRecords.record("t", "demo-mlp", "clean", json)).label().isEmpty());
    }

    @Test
    void theStreamSendsTheBundledImagesWithTheirLabelsInAShuffledOrderAndDriftsOnSchedule() throws IOException {
        DemoDataset dataset = DemoDataset.load(BUNDLED.toString(), Optional.empty(), model.directory(), 784);
        assertEquals(64, dataset.size());
        assertTrue(dataset.hasLabels(), "labels.npy found beside samples.npy");
        SampleBatch file = SampleReaders.readLabelled(BUNDLED, MODELS.resolve("demo-mlp/labels.npy"));
        DemoStream stream = stream(dataset, "clean*64,noise:sigma=80*64", 7);
        Set<Integer> seen = new HashSet<>();
        int inOrder = 0;
        for (int i = 0; i < 64; i++) {
            DemoStream.Sample sample = stream.next();
            assertEquals(i, sample.sequence());
            assertEquals(i == 0, sample.phaseStart());
            assertEquals("clean", new String(sample.record().headers().lastHeader(DemoRecords.PHASE_HEADER).value(), StandardCharsets.UTF_8));
            SampleRecord s = decodeOne(sample.record());
            assertEquals("demo-test-" + i, s.id());
            int index = indexOf(file, s.data());
            assertTrue(index >= 0, "sample " + i + " is a clean image of the file");
            assertEquals(OptionalInt.of(file.labels()[index]), s.label(), "label of image " + index);
            seen.add(index);
            if (index == i) {
                inOrder++;
            }
        }
        assertEquals(64, seen.size(), "one pass sends every image once");
        assertTrue(inOrder < 10, "the order is shuffled");
        DemoStream.Sample noisy = stream.next();
        assertTrue(noisy.phaseStart());
        assertEquals("noise:sigma=80", noisy.phase().name());
        SampleRecord s = decodeOne(noisy.record());
        assertEquals(-1, indexOf(file, s.data()), "noise changes the image");
        // Same seed, same records; another seed, another order.
        DemoStream again = stream(dataset, "clean*64,noise:sigma=80*64", 7);
        DemoStream other = stream(dataset, "clean*64,noise:sigma=80*64", 8);
        float[] first = decodeOne(again.next().record()).data();
        assertArrayEquals(decodeOne(stream(dataset, "clean*64", 7).next().record()).data(), first);
        assertNotEquals(indexOf(file, first), indexOf(file, decodeOne(other.next().record()).data()));
    }

    @Test
    void autoUsesDebiansFashionMnistWhenInstalledElseTheBundledSamples() throws IOException {
        DemoDataset auto = DemoDataset.load("auto", Optional.empty(), model.directory(), 784);
        assertTrue(auto.hasLabels());
        if (Files.isReadable(Path.of(DemoDataset.FASHION_MNIST_IMAGES))) {
            assertEquals(10_000, auto.size(), auto.description());
            assertTrue(auto.description().contains("Fashion-MNIST test set"), auto.description());
            DemoStream stream = stream(auto, "clean*10", 1);
            for (int i = 0; i < 5; i++) {
                decodeOne(stream.next().record());
            }
        } else {
            assertEquals(64, auto.size(), auto.description());
        }
    }

    @Test
    void dataThatIsNotWholePixelsOrOfAnotherSizeIsRefused(@TempDir Path dir) throws IOException {
        Path wrongSize = dir.resolve("x.npy");
        writeNpy(wrongSize, "<f4", new long[] {2, 3}, new float[] {0, 1, 2, 3, 4, 5});
        IOException e = assertThrows(IOException.class, () -> DemoDataset.load(wrongSize.toString(), Optional.empty(), model.directory(), 784));
        assertTrue(e.getMessage().contains("has samples of 3 values, the model takes 784"), e.getMessage());
        Path fractional = dir.resolve("y.npy");
        writeNpy(fractional, "<f4", new long[] {1, 3}, new float[] {0, 0.5f, 1});
        e = assertThrows(IOException.class, () -> DemoDataset.load(fractional.toString(), Optional.empty(), model.directory(), 3));
        assertTrue(e.getMessage().contains("whole numbers 0..255"), e.getMessage());
        assertThrows(IOException.class, () -> DemoDataset.load(dir.resolve("missing.npy").toString(), Optional.empty(), model.directory(), 3));
    }

    private static DemoStream stream(DemoDataset dataset, String schedule, long seed) {
        return new DemoStream(Topics.INFERENCE_SAMPLES, model.name(), model.version(), model.sampleShape(), dataset,
                DriftSchedule.parse(schedule), seed, "demo-test", Clock.fixed(NOW, ZoneOffset.UTC));
    }

    static SampleRecord decodeOne(ProducerRecord<String, byte[]> record) {
        Decoded d = decoder.decode(record.topic(), 0, 0, 0L, record.headers(), record.value());
        assertFalse(d.rejected(), () -> "rejected: " + d);
        assertEquals(1, d.samples().size());
        return d.samples().get(0);
    }

    private static int indexOf(SampleBatch batch, float[] image) {
        for (int i = 0; i < batch.size(); i++) {
            if (java.util.Arrays.equals(batch.sample(i), image)) {
                return i;
            }
        }
        return -1;
    }

    private static void writeNpy(Path file, String dtype, long[] shape, float[] values) throws IOException {
        StringBuilder s = new StringBuilder("(");
        for (long d : shape) {
            s.append(d).append(", ");
        }
        s.append(")");
        String header = "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + s + ", }";
        int total = 10 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(10 + header.length() + 4 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        buf.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        buf.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
        for (float v : values) {
            buf.putFloat(v);
        }
        Files.write(file, buf.array());
    }
}
