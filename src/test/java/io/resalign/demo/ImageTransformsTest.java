package io.resalign.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.resalign.demo.ImageTransforms.Layout;

class ImageTransformsTest {

    private static final Layout MNIST = Layout.of(new long[] {1, 28, 28});

    @Test
    void layoutTakesTheLastTwoAxesAsHeightAndWidth() {
        assertEquals(new Layout(1, 28, 28), MNIST);
        assertEquals(new Layout(3, 32, 16), Layout.of(new long[] {3, 32, 16}));
        assertEquals(new Layout(1, 1, 4), Layout.of(new long[] {4}));
    }

    @Test
    void noiseHasTheRequestedStandardDeviationAndLeavesTheInputAlone() {
        Layout layout = new Layout(1, 200, 200);
        float[] grey = filled(layout.size(), 128f);
        float[] noisy = ImageTransforms.noise(grey, layout, 20, new SplittableRandom(1));
        double mean = mean(noisy);
        double sd = sd(noisy, mean);
        assertEquals(128, mean, 0.3, "mean");
        assertEquals(20, sd, 0.3, "standard deviation");
        assertEquals(128f, grey[0], "input unchanged");
        // The same generator state gives the same noise.
        assertArrayEquals(noisy, ImageTransforms.noise(grey, layout, 20, new SplittableRandom(1)));
        assertNotEquals(noisy[0], ImageTransforms.noise(grey, layout, 20, new SplittableRandom(2))[0]);
    }

    @Test
    void strongNoiseIsClippedToPixelRange() {
        float[] noisy = ImageTransforms.noise(filled(MNIST.size(), 250f), MNIST, 80, new SplittableRandom(3));
        int atMax = 0;
        for (float v : noisy) {
            assertTrue(v >= 0 && v <= 255, "pixel " + v);
            if (v == 255f) {
                atMax++;
            }
        }
        assertTrue(atMax > MNIST.size() / 3, "about half the pixels clip at 255, got " + atMax);
        float[] zero = ImageTransforms.noise(filled(MNIST.size(), 7f), MNIST, 0, new SplittableRandom(3));
        assertArrayEquals(filled(MNIST.size(), 7f), zero, "sigma 0 changes nothing");
    }

    @Test
    void contrastScalesDeviationsFromTheMean() {
        float[] image = ramp(MNIST.size());
        double mean = mean(image);
        double sd = sd(image, mean);
        float[] low = ImageTransforms.contrast(image, MNIST, 0.4);
        assertEquals(mean, mean(low), 1e-3);
        assertEquals(0.4 * sd, sd(low, mean(low)), 1e-3);
        assertArrayEquals(image, ImageTransforms.contrast(image, MNIST, 1.0), 1e-4f);
        float[] flat = ImageTransforms.contrast(image, MNIST, 0);
        for (float v : flat) {
            assertEquals(mean, v, 1e-3);
        }
        // High contrast clips.
        for (float v : ImageTransforms.contrast(image, MNIST, 10)) {
            assertTrue(v >= 0 && v <= 255);
        }
    }

    @Test
    void contrastWorksPerChannel() {
        Layout rgb = new Layout(2, 2, 2);
        float[] image = {0, 10, 20, 30, 200, 200, 200, 240};
        float[] half = ImageTransforms.contrast(image, rgb, 0.5);
        assertArrayEquals(new float[] {7.5f, 12.5f, 17.5f, 22.5f, 205, 205, 205, 225}, half, 1e-4f);
    }

    @Test
    void brightnessAddsTheDeltaToEveryPixelAndClips() {
        Layout rgb = new Layout(2, 2, 2);
        float[] image = {0, 10, 100.5f, 250, 255, 30, 200, 5};
        assertArrayEquals(new float[] {40, 50, 140.5f, 255, 255, 70, 240, 45}, ImageTransforms.brightness(image, rgb, 40), 1e-4f);
        assertArrayEquals(new float[] {0, 0, 40.5f, 190, 195, 0, 140, 0}, ImageTransforms.brightness(image, rgb, -60), 1e-4f);
        assertArrayEquals(new float[] {0.25f, 10.25f, 100.75f, 250.25f, 255, 30.25f, 200.25f, 5.25f},
                ImageTransforms.brightness(image, rgb, 0.25), 1e-4f, "fractional deltas stay fractional until rounding");
        assertArrayEquals(image, ImageTransforms.brightness(image, rgb, 0), "delta 0 changes nothing");
        assertEquals(10f, image[1], "input unchanged");
        assertArrayEquals(filled(MNIST.size(), 255f), ImageTransforms.brightness(ramp(MNIST.size()), MNIST, 255), "+255 is white");
        assertArrayEquals(filled(MNIST.size(), 0f), ImageTransforms.brightness(ramp(MNIST.size()), MNIST, -255), "-255 is black");
        assertThrows(IllegalArgumentException.class, () -> ImageTransforms.brightness(new float[10], MNIST, 5));
    }

    @Test
    void brightnessMovesTheMeanByTheDeltaWhenNothingClips() {
        float[] image = ramp(MNIST.size());
        float[] mid = ImageTransforms.contrast(image, MNIST, 0.5); // 64..191: room for +-60 without clipping
        float[] darker = ImageTransforms.brightness(mid, MNIST, -60);
        assertEquals(mean(mid) - 60, mean(darker), 1e-3);
        assertEquals(sd(mid, mean(mid)), sd(darker, mean(darker)), 1e-3, "spread unchanged");
    }

    @Test
    void rotationBy90DegreesIsNumpysRot90Exactly() {
        float[] image = ramp(MNIST.size());
        float[] r = ImageTransforms.rotate(image, MNIST, 90);
        int n = 28;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                // np.rot90(m)[i][j] == m[j][n-1-i]: counter-clockwise
                assertEquals(image[j * n + (n - 1 - i)], r[i * n + j], "pixel " + i + "," + j);
            }
        }
        assertArrayEquals(image, ImageTransforms.rotate(r, MNIST, -90));
        float[] four = image;
        for (int k = 0; k < 4; k++) {
            four = ImageTransforms.rotate(four, MNIST, 90);
        }
        assertArrayEquals(image, four);
        assertArrayEquals(image, ImageTransforms.rotate(image, MNIST, 360));
        assertArrayEquals(image, ImageTransforms.rotate(image, MNIST, 0));
        assertArrayEquals(ImageTransforms.rotate(r, MNIST, 90), ImageTransforms.rotate(image, MNIST, 180));
    }

    @Test
    void rotationBy90DegreesOfASmallImageMovesTheRightEdgeToTheTop() {
        Layout l = new Layout(1, 3, 3);
        float[] image = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        assertArrayEquals(new float[] {3, 6, 9, 2, 5, 8, 1, 4, 7}, ImageTransforms.rotate(image, l, 90));
    }

    @Test
    void arbitraryRotationKeepsTheCentreAndFillsCornersWithBlack() {
        float[] white = filled(MNIST.size(), 255f);
        float[] r = ImageTransforms.rotate(white, MNIST, 30);
        assertEquals(255f, r[14 * 28 + 14], 1e-3f, "centre");
        assertEquals(0f, r[0], "corner comes from outside the image");
        for (float v : r) {
            assertTrue(v >= 0 && v <= 255);
        }
    }

    @Test
    void occlusionBlacksOutOneSquareOfTheGivenSide() {
        float[] white = filled(MNIST.size(), 255f);
        for (int seed = 0; seed < 20; seed++) {
            float[] o = ImageTransforms.occlude(white, MNIST, 10, new SplittableRandom(seed));
            int zeros = 0;
            int minY = 99;
            int minX = 99;
            int maxY = -1;
            int maxX = -1;
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    if (o[y * 28 + x] == 0f) {
                        zeros++;
                        minY = Math.min(minY, y);
                        maxY = Math.max(maxY, y);
                        minX = Math.min(minX, x);
                        maxX = Math.max(maxX, x);
                    }
                }
            }
            assertEquals(100, zeros, "area");
            assertEquals(9, maxY - minY, "a square: height");
            assertEquals(9, maxX - minX, "a square: width");
        }
        assertEquals(MNIST.size(), count(ImageTransforms.occlude(white, MNIST, 50, new SplittableRandom(0)), 0f),
                "a patch larger than the image covers it");
        assertEquals(255f, white[0], "input unchanged");
        assertThrows(IllegalArgumentException.class, () -> ImageTransforms.occlude(white, MNIST, 0, new SplittableRandom(0)));
    }

    @Test
    void toUint8RoundsAndClips() {
        assertEquals(0, ImageTransforms.toUint8(-3f));
        assertEquals(255, ImageTransforms.toUint8(300f));
        assertEquals(13, ImageTransforms.toUint8(12.5f));
        assertEquals(12, ImageTransforms.toUint8(12.49f));
    }

    @Test
    void aWrongSizedImageIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ImageTransforms.contrast(new float[10], MNIST, 0.5));
    }

    static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    static float[] ramp(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (i * 37) % 256;
        }
        return a;
    }

    private static int count(float[] a, float v) {
        int c = 0;
        for (float x : a) {
            if (x == v) {
                c++;
            }
        }
        return c;
    }

    private static double mean(float[] a) {
        double s = 0;
        for (float v : a) {
            s += v;
        }
        return s / a.length;
    }

    private static double sd(float[] a, double mean) {
        double s = 0;
        for (float v : a) {
            s += (v - mean) * (v - mean);
        }
        return Math.sqrt(s / a.length);
    }
}
