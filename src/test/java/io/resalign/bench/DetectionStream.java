package io.resalign.bench;

import io.resalign.demo.DriftSchedule;
import io.resalign.demo.ImageTransforms;
import io.resalign.demo.ImageTransforms.Layout;
import io.resalign.demo.Transform;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Builds the stream of the detection benchmark: the first {@code referenceSize} samples are clean
 * (they become every detector's reference), then for each scenario a clean gap followed by a
 * shifted segment. Clean images come from the in-distribution pool in seeded shuffled passes;
 * shifted images are clean images transformed, images of another dataset, or pool images of a few
 * classes only. Every image is rounded to UINT8 as the sample records carry it, so the input-space
 * detector sees exactly what the service sees. The same seed gives the same stream.
 */
final class DetectionStream {

    /** What a scenario feeds from its shift on. */
    sealed interface Shift {
        /** The shifted image that takes the place of the next clean one. */
        float[] next(Images pool, Images other, SplittableRandom random, Layout layout);
    }

    /** A pixel transform of the demo's drift schedule, e.g. {@code noise:sigma=40} (docs/demo.md). */
    record Transformed(Transform transform) implements Shift {
        static Transformed parse(String schedulePhase) {
            List<Transform> transforms = DriftSchedule.parse(schedulePhase).phases().get(0).transforms();
            if (transforms.size() != 1) {
                throw new IllegalArgumentException("one transform per scenario, got " + schedulePhase);
            }
            return new Transformed(transforms.get(0));
        }

        @Override
        public float[] next(Images pool, Images other, SplittableRandom random, Layout layout) {
            return transform.apply(pool.next(), layout, random);
        }
    }

    /** Images of another dataset (out of distribution). */
    record OtherDataset() implements Shift {
        @Override
        public float[] next(Images pool, Images other, SplittableRandom random, Layout layout) {
            return other.next();
        }
    }

    /** Pool images of the given classes only (a class-prior shift: the images themselves are in distribution). */
    record Classes(int[] classes) implements Shift {
        @Override
        public float[] next(Images pool, Images other, SplittableRandom random, Layout layout) {
            return pool.nextOf(classes);
        }

        @Override
        public String toString() {
            return "classes " + Arrays.stream(classes).mapToObj(Integer::toString).collect(Collectors.joining(","));
        }
    }

    /** One scenario: a name for tables, what it feeds, and a plain description. */
    record Scenario(String name, Shift shift, String description) {}

    /** A stretch of the stream: the reference, a clean gap before scenario k, or scenario k's shift. */
    record Segment(Kind kind, int scenario, int start, int end) {
        /** The segment kinds. */
        enum Kind { REFERENCE, CLEAN, SHIFT }

        /** Returns whether sample {@code index} is in the segment. */
        boolean contains(int index) {
            return index >= start && index < end;
        }
    }

    /** The layout of the benchmark's images (Fashion-MNIST and MNIST: one 28 x 28 plane). */
    static final Layout LAYOUT = new Layout(1, 28, 28);

    private final List<float[]> images;
    private final int[] labels;
    private final List<Segment> segments;
    private final List<Scenario> scenarios;

    private DetectionStream(List<float[]> images, int[] labels, List<Segment> segments, List<Scenario> scenarios) {
        this.images = images;
        this.labels = labels;
        this.segments = List.copyOf(segments);
        this.scenarios = List.copyOf(scenarios);
    }

    /**
     * Builds the stream.
     *
     * @param pool the in-distribution images with labels
     * @param other the out-of-distribution images (labels kept for the record, not used by any detector)
     * @param scenarios the scenarios, in stream order
     * @param referenceSize clean samples first
     * @param cleanGap clean samples before each shift (at least a window, so that the previous shift has left the windows)
     * @param shiftLength samples of each shift
     * @param seed seeds the shuffles and the random transforms
     */
    static DetectionStream build(LabelledPixels pool, LabelledPixels other, List<Scenario> scenarios, int referenceSize, int cleanGap,
            int shiftLength, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] split = Images.permutation(java.util.stream.IntStream.range(0, pool.images().length).toArray(), random);
        if (split.length < referenceSize + 1) {
            throw new IllegalArgumentException(pool.description() + " has " + split.length + " images; the reference alone takes "
                    + referenceSize);
        }
        // the reference's images never come back: the monitored stream draws from the other images only
        Images reference = new Images(pool, Arrays.copyOfRange(split, 0, referenceSize), random.split());
        Images clean = new Images(pool, Arrays.copyOfRange(split, referenceSize, split.length), random.split());
        Images outside = new Images(other, java.util.stream.IntStream.range(0, other.images().length).toArray(), random.split());
        SplittableRandom transforms = random.split();
        List<float[]> images = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<Segment> segments = new ArrayList<>();
        segments.add(new Segment(Segment.Kind.REFERENCE, -1, 0, referenceSize));
        for (int i = 0; i < referenceSize; i++) {
            images.add(reference.next());
            labels.add(reference.lastLabel());
        }
        for (int k = 0; k < scenarios.size(); k++) {
            int start = images.size();
            segments.add(new Segment(Segment.Kind.CLEAN, k, start, start + cleanGap));
            for (int i = 0; i < cleanGap; i++) {
                images.add(clean.next());
                labels.add(clean.lastLabel());
            }
            start = images.size();
            segments.add(new Segment(Segment.Kind.SHIFT, k, start, start + shiftLength));
            Shift shift = scenarios.get(k).shift();
            for (int i = 0; i < shiftLength; i++) {
                float[] image = shift.next(clean, outside, transforms, LAYOUT);
                images.add(image);
                labels.add(shift instanceof OtherDataset ? outside.lastLabel() : clean.lastLabel());
            }
        }
        for (int i = 0; i < images.size(); i++) {
            images.set(i, uint8(images.get(i)));
        }
        return new DetectionStream(images, labels.stream().mapToInt(Integer::intValue).toArray(), segments, scenarios);
    }

    /**
     * Returns a stream of these segments and scenarios without images: what scoring needs, to score
     * window decisions written earlier (the benchmark's CSV files) again.
     */
    static DetectionStream ofSegments(List<Segment> segments, List<Scenario> scenarios) {
        int size = segments.get(segments.size() - 1).end();
        if (segments.get(0).kind() != Segment.Kind.REFERENCE || segments.get(0).start() != 0) {
            throw new IllegalArgumentException("the first segment must be the reference from sample 0, got " + segments.get(0));
        }
        List<float[]> none = new ArrayList<>(java.util.Collections.nCopies(size, (float[]) null));
        return new DetectionStream(none, new int[size], segments, scenarios);
    }

    /** Rounds to the UINT8 values a sample record carries. */
    private static float[] uint8(float[] image) {
        float[] out = new float[image.length];
        for (int i = 0; i < image.length; i++) {
            out[i] = ImageTransforms.toUint8(image[i]);
        }
        return out;
    }

    /** Returns the number of samples. */
    int size() {
        return images.size();
    }

    /** Returns image {@code index}, UINT8 values as floats (do not modify). */
    float[] image(int index) {
        return images.get(index);
    }

    /** Returns the label of sample {@code index} (for MNIST samples, the digit). */
    int label(int index) {
        return labels[index];
    }

    /** Returns the images {@code from} (inclusive) to {@code to} (exclusive). */
    float[][] images(int from, int to) {
        return images.subList(from, to).toArray(new float[0][]);
    }

    /** Returns the segments in stream order. */
    List<Segment> segments() {
        return segments;
    }

    /** Returns the scenarios in stream order. */
    List<Scenario> scenarios() {
        return scenarios;
    }

    /** Returns the reference size. */
    int referenceSize() {
        return segments.get(0).end();
    }

    /** Returns the segment of scenario {@code k} of the given kind. */
    Segment segment(int k, Segment.Kind kind) {
        return segments.stream().filter(s -> s.scenario() == k && s.kind() == kind).findFirst().orElseThrow();
    }

    /** Images with labels, as loaded from a dataset. */
    record LabelledPixels(float[][] images, int[] labels, String description) {
        LabelledPixels {
            if (images.length != labels.length || images.length == 0) {
                throw new IllegalArgumentException(description + ": " + images.length + " images and " + labels.length + " labels");
            }
        }
    }

    /**
     * Draws images of a subset of a dataset in shuffled passes (a new permutation per pass), and images
     * of given classes in their own passes.
     */
    static final class Images {
        private final LabelledPixels data;
        private final int[] subset;
        private final SplittableRandom random;
        private int[] order;
        private int position;
        private int last = -1;
        private final java.util.Map<String, int[]> classOrders = new java.util.HashMap<>();
        private final java.util.Map<String, Integer> classPositions = new java.util.HashMap<>();

        Images(LabelledPixels data, int[] subset, SplittableRandom random) {
            this.data = data;
            this.subset = subset;
            this.random = random;
        }

        float[] next() {
            if (order == null || position == order.length) {
                order = permutation(indices(null), random);
                position = 0;
            }
            last = order[position++];
            return data.images()[last];
        }

        float[] nextOf(int[] classes) {
            String key = Arrays.toString(classes);
            int[] o = classOrders.get(key);
            int p = classPositions.getOrDefault(key, 0);
            if (o == null || p == o.length) {
                o = permutation(indices(classes), random);
                if (o.length == 0) {
                    throw new IllegalArgumentException("no image of classes " + key + " in " + data.description());
                }
                classOrders.put(key, o);
                p = 0;
            }
            last = o[p];
            classPositions.put(key, p + 1);
            return data.images()[last];
        }

        int lastLabel() {
            return data.labels()[last];
        }

        private int[] indices(int[] classes) {
            return Arrays.stream(subset)
                    .filter(i -> classes == null || Arrays.stream(classes).anyMatch(c -> c == data.labels()[i])).toArray();
        }

        static int[] permutation(int[] values, SplittableRandom random) {
            int[] out = values.clone();
            for (int i = out.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = out[i];
                out[i] = out[j];
                out[j] = t;
            }
            return out;
        }
    }
}
