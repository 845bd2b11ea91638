package io.resalign.sample.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SampleBatchTest {

    private static final Path SOURCE = Path.of("x.npy");

    @Test
    void shouldSplitDataIntoSamples() {
        SampleBatch b = new SampleBatch(Fixtures.floats(1, 2, 3, 4, 5, 6), new long[] {3}, SOURCE);
        assertEquals(2, b.size());
        assertEquals(3, b.sampleLength());
        assertArrayEquals(Fixtures.floats(4, 5, 6), b.sample(1));
        assertArrayEquals(new long[] {3}, b.sampleShape());
        assertNull(b.labels());
        assertFalse(b.hasLabels());
        assertThrows(IndexOutOfBoundsException.class, () -> b.sample(2));
    }

    @Test
    void shouldTreatEmptyShapeAsScalarSamples() {
        SampleBatch b = new SampleBatch(Fixtures.floats(7, 8), new long[0], SOURCE);
        assertEquals(2, b.size());
        assertArrayEquals(Fixtures.floats(8), b.sample(1));
    }

    @Test
    void shouldRefuseDataThatIsNotWholeSamples() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SampleBatch(new float[5], new long[] {2}, SOURCE));
        assertTrue(e.getMessage().contains("5 values are not a whole number of samples of shape [2]"), e.getMessage());
    }

    @Test
    void shouldRefuseLabelsOfAnotherCount() throws Exception {
        SampleBatch b = new SampleBatch(new float[6], new long[] {3}, SOURCE);
        InputFormatException e = assertThrows(InputFormatException.class, () -> b.withLabels(new int[] {1, 2, 3}));
        assertTrue(e.getMessage().contains("x.npy: 3 labels for 2 samples"), e.getMessage());
        assertArrayEquals(new int[] {4, 5}, b.withLabels(new int[] {4, 5}).labels());
    }

    @Test
    void shouldAcceptSampleShapeWithSameElementCount() throws Exception {
        SampleBatch b = new SampleBatch(new float[2 * 784], new long[] {784}, SOURCE);
        SampleBatch reshaped = b.requireSampleShape(new long[] {1, 28, 28});
        assertArrayEquals(new long[] {1, 28, 28}, reshaped.sampleShape());
        assertEquals(2, reshaped.size());
        assertSame(b.data(), reshaped.data());
        assertSame(b, b.requireSampleShape(new long[] {784}));
    }

    @Test
    void shouldRejectSampleShapeWithOtherElementCount() {
        SampleBatch b = new SampleBatch(new float[2 * 783], new long[] {783}, SOURCE);
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> b.requireSampleShape(new long[] {1, 28, 28}));
        assertEquals("x.npy: samples have shape [783] (783 values), expected 784 values (shape [1, 28, 28])",
                e.getMessage());
        assertEquals(SOURCE, e.file());
    }
}
