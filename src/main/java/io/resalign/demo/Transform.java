package io.resalign.demo;

import java.util.SplittableRandom;

import io.resalign.demo.ImageTransforms.Layout;

/** One step of a drift phase, written in a schedule as {@code name[:value]} (see {@link DriftSchedule}). */
public sealed interface Transform {

    /** Returns the transformed image; the input is left unchanged. */
    float[] apply(float[] image, Layout layout, SplittableRandom random);

    /** Leaves the image as the dataset has it: {@code clean}. */
    record Clean() implements Transform {
        @Override
        public float[] apply(float[] image, Layout layout, SplittableRandom random) {
            return image;
        }

        @Override
        public String toString() {
            return "clean";
        }
    }

    /** Gaussian pixel noise of standard deviation sigma (pixel units, 0..255): {@code noise:sigma=80}. */
    record Noise(double sigma) implements Transform {
        @Override
        public float[] apply(float[] image, Layout layout, SplittableRandom random) {
            return ImageTransforms.noise(image, layout, sigma, random);
        }

        @Override
        public String toString() {
            return "noise:sigma=" + DriftSchedule.format(sigma);
        }
    }

    /** Contrast scaled by a factor around each image's mean: {@code contrast:0.4}. */
    record Contrast(double factor) implements Transform {
        @Override
        public float[] apply(float[] image, Layout layout, SplittableRandom random) {
            return ImageTransforms.contrast(image, layout, factor);
        }

        @Override
        public String toString() {
            return "contrast:" + DriftSchedule.format(factor);
        }
    }

    /** Brightness shifted by delta pixel units (0..255), clipped: {@code brightness:40} or {@code brightness:-40}. */
    record Brightness(double delta) implements Transform {
        @Override
        public float[] apply(float[] image, Layout layout, SplittableRandom random) {
            return ImageTransforms.brightness(image, layout, delta);
        }

        @Override
        public String toString() {
            return "brightness:" + DriftSchedule.format(delta);
        }
    }

    /** Counter-clockwise rotation in degrees: {@code rotate:30}. */
    record Rotate(double degrees) implements Transform {
        @Override
        public float[] apply(float[] image, Layout layout, SplittableRandom random) {
            return ImageTransforms.rotate(image, layout, degrees);
        }

        @Override
        public String toString() {
            return "rotate:" + DriftSchedule.format(degrees);
        }
    }

    /** A black square patch of the given side in pixels at a random place: {@code occlude:10}. */
    record Occlude(int size) implements Transform {
        @Override
        public float[] apply(float[] image, Layout layout, SplittableRandom random) {
            return ImageTransforms.occlude(image, layout, size, random);
        }

        @Override
        public String toString() {
            return "occlude:" + size;
        }
    }
}
