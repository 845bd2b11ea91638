package io.resalign.demo;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Pure image transforms of the demo's drift schedule. An image is a row-major float array of
 * {@code channels} planes of {@code height x width} pixels in 0..255 (the model's input shape with
 * the last two axes as height and width). Every function returns a new array and leaves its input
 * unchanged; randomness comes only from the generator passed in, so a seeded run is reproducible.
 * Results stay within 0..255 but are not rounded: {@link DemoRecords} rounds them to UINT8.
 */
public final class ImageTransforms {

    /** The largest pixel value (UINT8). */
    public static final float MAX = 255f;

    private ImageTransforms() {
    }

    /** Describes the layout of one image: {@code channels} planes of {@code height x width}. */
    public record Layout(int channels, int height, int width) {

        /** Checks that every axis is positive. */
        public Layout {
            if (channels < 1 || height < 1 || width < 1) {
                throw new IllegalArgumentException("image layout must be positive, got " + channels + "x" + height + "x" + width);
            }
        }

        /**
         * Reads the layout from a model's sample shape: the last two axes are height and width, the
         * product of the others the channels; a 1-D shape is one row.
         */
        public static Layout of(long[] sampleShape) {
            if (sampleShape.length == 0) {
                throw new IllegalArgumentException("empty sample shape");
            }
            int width = Math.toIntExact(sampleShape[sampleShape.length - 1]);
            int height = sampleShape.length >= 2 ? Math.toIntExact(sampleShape[sampleShape.length - 2]) : 1;
            long channels = 1;
            for (int i = 0; i < sampleShape.length - 2; i++) {
                channels *= sampleShape[i];
            }
            return new Layout(Math.toIntExact(channels), height, width);
        }

        /** Returns the number of values of one image. */
        public int size() {
            return channels * height * width;
        }

        void check(float[] image) {
            if (image.length != size()) {
                throw new IllegalArgumentException("image has " + image.length + " values, layout " + this + " needs " + size());
            }
        }
    }

    /** Adds Gaussian noise of standard deviation {@code sigma} (pixel units) to each pixel, clipped to 0..255. */
    public static float[] noise(float[] image, Layout layout, double sigma, SplittableRandom random) {
        layout.check(image);
        float[] out = new float[image.length];
        for (int i = 0; i < image.length; i++) {
            out[i] = clip(image[i] + sigma * gaussian(random));
        }
        return out;
    }

    /**
     * Scales each channel's deviation from its mean by {@code factor}: 1 keeps the image, 0 makes it
     * flat grey at its mean, 0.4 is a washed-out image; results clipped to 0..255.
     */
    public static float[] contrast(float[] image, Layout layout, double factor) {
        layout.check(image);
        float[] out = new float[image.length];
        int plane = layout.height() * layout.width();
        for (int c = 0; c < layout.channels(); c++) {
            int from = c * plane;
            double mean = 0;
            for (int i = from; i < from + plane; i++) {
                mean += image[i];
            }
            mean /= plane;
            for (int i = from; i < from + plane; i++) {
                out[i] = clip(mean + factor * (image[i] - mean));
            }
        }
        return out;
    }

    /**
     * Adds {@code delta} pixel units to every pixel of every channel, clipped to 0..255: a positive
     * delta brightens, a negative one darkens, 0 keeps the image.
     */
    public static float[] brightness(float[] image, Layout layout, double delta) {
        layout.check(image);
        float[] out = new float[image.length];
        for (int i = 0; i < image.length; i++) {
            out[i] = clip(image[i] + delta);
        }
        return out;
    }

    /**
     * Rotates each channel counter-clockwise by {@code degrees} about the image centre, with bilinear
     * interpolation and black (0) where the rotated image has no source. Multiples of 90 degrees on
     * a square image are exact permutations of the pixels (90 degrees is numpy's {@code rot90}).
     */
    public static float[] rotate(float[] image, Layout layout, double degrees) {
        layout.check(image);
        double cos;
        double sin;
        double turns = degrees / 90.0;
        if (turns == Math.rint(turns)) {
            int quarter = (int) Math.floorMod((long) turns, 4L);
            cos = new double[] {1, 0, -1, 0}[quarter];
            sin = new double[] {0, 1, 0, -1}[quarter];
        } else {
            double rad = Math.toRadians(degrees);
            cos = Math.cos(rad);
            sin = Math.sin(rad);
        }
        int h = layout.height();
        int w = layout.width();
        double cy = (h - 1) / 2.0;
        double cx = (w - 1) / 2.0;
        float[] out = new float[image.length];
        int plane = h * w;
        for (int c = 0; c < layout.channels(); c++) {
            int base = c * plane;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    // Inverse mapping (y axis down): the output pixel (x', y') shows the source
                    // point x = x' cos - y' sin, y = x' sin + y' cos.
                    double dx = x - cx;
                    double dy = y - cy;
                    double sx = dx * cos - dy * sin + cx;
                    double sy = dx * sin + dy * cos + cy;
                    out[base + y * w + x] = bilinear(image, base, h, w, sy, sx);
                }
            }
        }
        return out;
    }

    /**
     * Blacks out (sets to 0) a {@code size x size} square, in every channel, at a position drawn
     * uniformly among those where it fits entirely; a size beyond the image is cut to the image.
     */
    public static float[] occlude(float[] image, Layout layout, int size, SplittableRandom random) {
        layout.check(image);
        if (size < 1) {
            throw new IllegalArgumentException("occlusion size must be at least 1, got " + size);
        }
        int sh = Math.min(size, layout.height());
        int sw = Math.min(size, layout.width());
        int top = random.nextInt(layout.height() - sh + 1);
        int left = random.nextInt(layout.width() - sw + 1);
        float[] out = image.clone();
        int plane = layout.height() * layout.width();
        for (int c = 0; c < layout.channels(); c++) {
            for (int y = top; y < top + sh; y++) {
                int row = c * plane + y * layout.width();
                Arrays.fill(out, row + left, row + left + sw, 0f);
            }
        }
        return out;
    }

    /** Rounds to the nearest integer and clips to 0..255. */
    public static int toUint8(float value) {
        return (int) Math.max(0, Math.min(255, Math.round(value)));
    }

    private static float bilinear(float[] image, int base, int h, int w, double y, double x) {
        // Snap coordinates within a hair of a pixel centre, so exact grids stay exact.
        double ry = Math.rint(y);
        double rx = Math.rint(x);
        if (Math.abs(y - ry) < 1e-9) {
            y = ry;
        }
        if (Math.abs(x - rx) < 1e-9) {
            x = rx;
        }
        int y0 = (int) Math.floor(y);
        int x0 = (int) Math.floor(x);
        double fy = y - y0;
        double fx = x - x0;
        double v = 0;
        v += (1 - fy) * (1 - fx) * pixel(image, base, h, w, y0, x0);
        if (fx > 0) {
            v += (1 - fy) * fx * pixel(image, base, h, w, y0, x0 + 1);
        }
        if (fy > 0) {
            v += fy * (1 - fx) * pixel(image, base, h, w, y0 + 1, x0);
            if (fx > 0) {
                v += fy * fx * pixel(image, base, h, w, y0 + 1, x0 + 1);
            }
        }
        return (float) v;
    }

    private static float pixel(float[] image, int base, int h, int w, int y, int x) {
        return y < 0 || y >= h || x < 0 || x >= w ? 0f : image[base + y * w + x];
    }

    private static float clip(double v) {
        return (float) Math.max(0, Math.min(MAX, v));
    }

    /** Draws a standard normal value (Box-Muller; SplittableRandom has no nextGaussian on Java 17). */
    static double gaussian(SplittableRandom random) {
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
