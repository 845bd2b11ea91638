package io.resalign.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.SampleMetrics;
import java.util.List;
import org.junit.jupiter.api.Test;

class FeatureVectorTest {
    static SampleMetrics sample(double alignment, double... sigma1) {
        List<BlockMetrics> blocks = new java.util.ArrayList<>();
        for (int b = 0; b < sigma1.length; b++) {
            blocks.add(new BlockMetrics("layer" + b, "stage0", sigma1[b], new double[] {sigma1[b]}, 1.0, true,
                    2.0 + b, 3 + b, false, 0.9, b == 0 ? Double.NaN : 0.5));
        }
        return new SampleMetrics(0, 1, new float[] {0f, 1f}, 0.25, 0.75, 1.1, 0.2, alignment, 4.0, List.of(), blocks,
                new double[0][0]);
    }

    @Test
    void shouldNameSampleFeaturesFirstThenOutputFeaturesThenEveryBlockMetricInEngineOrderWhenBuiltFromASample() {
        FeatureSchema schema = FeatureSchema.of(sample(0.7, 0.3, 0.4));

        assertEquals(4 + 2 + 2 * 5, schema.size());
        assertEquals(List.of("line_shape", "step_cv", "alignment", "depth_scaled_sigma1", "output_entropy", "output_confidence",
                "block:layer0:sigma1", "block:layer0:stable_rank", "block:layer0:effective_rank",
                "block:layer0:self_alignment", "block:layer0:alignment"), schema.names().subList(0, 11));
        assertEquals("block:layer1:alignment", schema.name(15));
        assertNull(schema.block(2));
        assertNull(schema.block(4), "output features belong to no block");
        assertEquals("layer1", schema.block(12));
        assertEquals(List.of(false, false, false, false, true, true, false), List.of(schema.isOutput(0), schema.isOutput(1),
                schema.isOutput(2), schema.isOutput(3), schema.isOutput(4), schema.isOutput(5), schema.isOutput(6)));
        assertTrue(FeatureSchema.isOutputFeature("output_confidence"));
        assertFalse(FeatureSchema.isOutputFeature("block:output_entropy:sigma1"), "a block named like an output feature is not one");
        assertTrue(FeatureSchema.forBlocks(List.of()).hasOutputFeatures(), "every model's schema has them");
    }

    @Test
    void shouldCarryTheSamplesEntropyAndConfidenceAsOutputFeatures() {
        FeatureVector v = FeatureVector.of(sample(0.7, 0.3));

        assertEquals(0.25, v.value(v.schema().indexOf("output_entropy")));
        assertEquals(0.75, v.value(v.schema().indexOf("output_confidence")));
    }

    @Test
    void shouldKeepBlockNamesWithDotsAndColonsWhenParsingFeatureNames() {
        assertEquals("layer1.0", FeatureSchema.blockOf("block:layer1.0:sigma1"));
        assertEquals("a:b", FeatureSchema.blockOf("block:a:b:alignment"));
        assertNull(FeatureSchema.blockOf("alignment"));
    }

    @Test
    void shouldCarryValuesAndCountNaNsWhenASampleHasUndefinedMetrics() {
        FeatureVector v = FeatureVector.of(sample(Double.NaN, 0.3, Double.POSITIVE_INFINITY));

        assertEquals(1.1, v.value(v.schema().indexOf("line_shape")));
        assertEquals(0.3, v.value(v.schema().indexOf("block:layer0:sigma1")));
        assertEquals(4.0, v.value(v.schema().indexOf("block:layer1:effective_rank")));
        assertTrue(Double.isNaN(v.value(v.schema().indexOf("block:layer1:sigma1"))), "infinity becomes NaN");
        // sample alignment, layer0 alignment, layer1 sigma1
        assertEquals(3, v.nanCount());
    }

    @Test
    void shouldFillNaNWhenASampleLacksABlockTheSchemaNames() {
        FeatureSchema twoBlocks = FeatureSchema.of(sample(0.7, 0.3, 0.4));

        FeatureVector v = FeatureVector.of(sample(0.7, 0.3), twoBlocks);

        assertEquals(5, v.nanCount() - 1, "the five layer1 features plus layer0's undefined alignment");
    }

    @Test
    void shouldRejectDuplicateNamesAndWrongLengthsWhenConstructed() {
        assertThrows(IllegalArgumentException.class, () -> FeatureSchema.of(List.of("a", "a")));
        FeatureSchema schema = FeatureSchema.of(List.of("a", "b"));
        assertThrows(IllegalArgumentException.class, () -> new FeatureVector(schema, new double[3]));
    }
}
