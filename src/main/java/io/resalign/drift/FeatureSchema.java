package io.resalign.drift;

import io.resalign.engine.metrics.BlockMetrics;
import io.resalign.engine.metrics.SampleMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Names the features of one model in a flat, stable order: the per-sample metrics first, then the
 * output-side features, then {@code block:<name>:<metric>} for every watched block in the engine's
 * order.
 *
 * <p>The output features (entropy and confidence of the served prediction, from the logits) form
 * their own drift decision, apart from every other (alignment) feature: {@link #isOutputFeature}.
 *
 * <p>The order is part of every serialised window and reference, so two schemas are compatible
 * only when their name lists are equal.
 */
public final class FeatureSchema {
    /** Per-sample metrics, in this order. */
    public static final List<String> SAMPLE_FEATURES =
            List.of("line_shape", "step_cv", "alignment", "depth_scaled_sigma1");
    /** Output-side per-sample features (softmax entropy in nats, max softmax probability), in this order. */
    public static final List<String> OUTPUT_FEATURES = List.of("output_entropy", "output_confidence");
    /** Per-block metrics, in this order. */
    public static final List<String> BLOCK_FEATURES =
            List.of("sigma1", "stable_rank", "effective_rank", "self_alignment", "alignment");

    private static final String BLOCK_PREFIX = "block:";

    private final List<String> names;
    private final String[] blocks;

    private FeatureSchema(List<String> names) {
        this.names = List.copyOf(names);
        this.blocks = new String[this.names.size()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = blockOf(this.names.get(i));
        }
    }

    /** Returns the schema with exactly these feature names, in this order. */
    public static FeatureSchema of(List<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("a feature schema needs at least one feature");
        }
        if (names.stream().distinct().count() != names.size()) {
            throw new IllegalArgumentException("duplicate feature names in " + names);
        }
        return new FeatureSchema(names);
    }

    /** Returns the schema of a model whose watched blocks have these names, in engine order. */
    public static FeatureSchema forBlocks(List<String> blockNames) {
        List<String> names = new ArrayList<>(SAMPLE_FEATURES);
        names.addAll(OUTPUT_FEATURES);
        for (String block : blockNames) {
            for (String metric : BLOCK_FEATURES) {
                names.add(blockFeature(block, metric));
            }
        }
        return of(names);
    }

    /** Returns the schema of the model that produced this sample. */
    public static FeatureSchema of(SampleMetrics sample) {
        return forBlocks(sample.blocks().stream().map(BlockMetrics::name).toList());
    }

    /** Returns the name of a block's feature, {@code block:<block>:<metric>}. */
    public static String blockFeature(String block, String metric) {
        return BLOCK_PREFIX + block + ":" + metric;
    }

    /** Returns whether a feature is output-side (tested in the output decision, not the alignment one). */
    public static boolean isOutputFeature(String feature) {
        return OUTPUT_FEATURES.contains(feature);
    }

    /** Returns whether feature {@code index} is output-side. */
    public boolean isOutput(int index) {
        return isOutputFeature(names.get(index));
    }

    /** Returns whether the schema has any output-side feature (schemas stored before they existed have none). */
    public boolean hasOutputFeatures() {
        return names.stream().anyMatch(FeatureSchema::isOutputFeature);
    }

    /** Returns the block a feature name belongs to, or null for a per-sample feature. */
    public static String blockOf(String feature) {
        if (!feature.startsWith(BLOCK_PREFIX)) {
            return null;
        }
        int last = feature.lastIndexOf(':');
        return last > BLOCK_PREFIX.length() ? feature.substring(BLOCK_PREFIX.length(), last) : null;
    }

    /** Returns the number of features. */
    public int size() {
        return names.size();
    }

    /** Returns the feature names in order. */
    public List<String> names() {
        return names;
    }

    /** Returns the name of feature {@code index}. */
    public String name(int index) {
        return names.get(index);
    }

    /** Returns the block of feature {@code index}, or null for a per-sample feature. */
    public String block(int index) {
        return blocks[index];
    }

    /** Returns the index of a feature, or -1 when the schema has no such feature. */
    public int indexOf(String feature) {
        return names.indexOf(feature);
    }

    /** Throws when {@code other} names different features, saying what differs. */
    void requireCompatible(FeatureSchema other, String what) {
        if (!equals(other)) {
            throw new IllegalArgumentException(what + " has features " + other.names
                    + " but " + names + " were expected (same model version, same watched blocks)");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FeatureSchema other && names.equals(other.names);
    }

    @Override
    public int hashCode() {
        return Objects.hash(names);
    }

    @Override
    public String toString() {
        return "FeatureSchema" + names;
    }
}
