package io.resalign.cli;

import io.resalign.engine.DeviceChoice;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.resalign.engine.AlignmentEngine;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.arch.Architectures;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.sample.file.SampleBatch;
import io.resalign.sample.file.SampleReaders;
import io.resalign.engine.metrics.SampleMetrics;
import io.resalign.engine.model.ModelManifest;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The analysis command line: reads samples from a file, runs them in batches through
 * {@link AlignmentEngine} and streams one record per sample as JSON Lines or long CSV
 * (docs/cli.md). Run {@code analyze --help} for the options.
 *
 * <p>Exit status: 0 on success, 1 on a runtime error (the message names the file or sample),
 * 2 on a usage error.
 */
public final class Analyze {
    /** Exit status of a successful run. */
    public static final int OK = 0;
    /** Exit status of a runtime error: unreadable or invalid model, input, labels or output. */
    public static final int RUNTIME_ERROR = 1;
    /** Exit status of a malformed command line. */
    public static final int USAGE_ERROR = 2;

    private Analyze() {}

    /**
     * Runs the command and exits with its status. Records go to the real standard output; anything
     * else a library prints there (ojAlgo's hardware-profile notice, for one) is sent to standard
     * error so that it cannot corrupt the JSON Lines or CSV stream.
     */
    public static void main(String[] args) {
        PrintStream stdout = System.out;
        System.setOut(System.err);
        int status = run(args, stdout, System.err);
        stdout.flush();
        System.err.flush();
        System.exit(status);
    }

    /**
     * Runs the command.
     *
     * @param args the command line
     * @param out standard output: the records when no --output is given, and --help
     * @param err standard error: log lines, errors and the --summary
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        AnalyzeOptions options;
        try {
            options = AnalyzeOptions.parse(args);
        } catch (UsageException e) {
            err.println("analyze: " + e.getMessage());
            err.println();
            err.println(AnalyzeOptions.USAGE);
            return USAGE_ERROR;
        }
        if (options.help) {
            out.println(AnalyzeOptions.USAGE);
            return OK;
        }
        try {
            return analyse(options, out, err);
        } catch (Failure e) {
            err.println("analyze: error: " + e.getMessage());
            return RUNTIME_ERROR;
        } catch (IOException | RuntimeException e) {
            err.println("analyze: error: " + describe(e));
            return RUNTIME_ERROR;
        }
    }

    private static int analyse(AnalyzeOptions o, PrintStream out, PrintStream err) throws IOException, Failure {
        ModelManifest manifest = ModelManifest.read(o.model);
        long[] shape = manifest.input().shape();

        // The input is checked completely before the model is loaded or anything is written.
        SampleBatch batch = SampleReaders.read(o.input).requireSampleShape(shape);
        int[] labels = batch.labels();
        if (o.labels != null) {
            labels = SampleReaders.readLabels(o.labels);
            if (labels.length != batch.size()) {
                throw new Failure(o.labels + ": " + labels.length + " labels for the " + batch.size() + " samples of " + o.input
                        + "; expected one label per sample");
            }
        }
        int n = o.limit > 0 ? Math.min(o.limit, batch.size()) : batch.size();
        if (n == 0) {
            throw new Failure(o.input + ": the file holds no samples");
        }
        requireFinite(batch, n, o.input);

        Device device = device(o.device);
        EngineOptions engineOptions = engineOptions(o);
        err.printf(Locale.ROOT, "analyze: model %s (version %s, %s, %d classes) from %s on device %s%n", manifest.name(),
                manifest.version(), manifest.architecture(), manifest.numClasses(), o.model, describe(device));
        err.printf(Locale.ROOT, "analyze: input %s: %d of %d samples of shape %s%s, batches of %d%n", o.input, n, batch.size(),
                Arrays.toString(shape), labels != null ? ", labelled" : "", o.batch);

        Summary summary = o.summary ? new Summary() : null;
        int per = batch.sampleLength();
        float[] data = batch.data();
        long started;
        try (ResidualNetwork network = load(o.model, device);
                AlignmentEngine engine = new AlignmentEngine(network, engineOptions);
                MetricsWriter writer = open(o, out)) {
            err.printf(Locale.ROOT, "analyze: %d residual blocks, watching %s, k = %d, output %s as %s%n", network.blocks().size(),
                    manifest.watchesAll() ? "all" : manifest.watch().stream().collect(Collectors.joining(", ")), engine.k(),
                    o.output == null ? "stdout" : o.output, o.format.name().toLowerCase(Locale.ROOT));
            started = System.nanoTime();
            for (int start = 0; start < n; start += o.batch) {
                int count = Math.min(o.batch, n - start);
                float[] slice = Arrays.copyOfRange(data, start * per, (start + count) * per);
                List<SampleMetrics> results;
                try {
                    results = engine.analyse(slice, count, start);
                } catch (RuntimeException e) {
                    throw new Failure("analysing samples " + start + ".." + (start + count - 1) + " of " + o.input + " failed: "
                            + describe(e), e);
                }
                try {
                    for (SampleMetrics m : results) {
                        Integer label = labels == null ? null : labels[m.index()];
                        writer.write(m, label);
                        if (summary != null) {
                            summary.add(m, label);
                        }
                    }
                    writer.flush();
                } catch (IOException e) {
                    throw new Failure("writing " + (o.output == null ? "stdout" : o.output) + " failed: " + describe(e), e);
                }
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        err.printf(Locale.ROOT, "analyze: analysed %d samples in %.1f s (%.1f samples/s, model loading excluded)%n", n, seconds,
                n / seconds);
        if (summary != null) {
            summary.print(err);
        }
        return OK;
    }

    /** Rejects NaN and infinite values among the first {@code n} samples: the engine must never see them. */
    static void requireFinite(SampleBatch batch, int n, Path file) throws Failure {
        float[] data = batch.data();
        int per = batch.sampleLength();
        for (int s = 0; s < n; s++) {
            for (int j = s * per, end = j + per; j < end; j++) {
                if (!Float.isFinite(data[j])) {
                    throw new Failure(file + " (sample " + s + "): value " + (j - s * per) + " of sample " + s + " is " + data[j]
                            + "; every input value must be finite");
                }
            }
        }
    }

    private static Device device(DeviceChoice choice) throws Failure {
        try {
            return choice.resolve();
        } catch (IllegalStateException e) {
            throw new Failure("--device gpu: PyTorch sees no GPU (use --device cpu or auto)");
        } catch (RuntimeException e) {
            throw new Failure("cannot start the PyTorch engine: " + describe(e), e);
        }
    }

    private static String describe(Device device) {
        return device.isGpu() ? "gpu " + device.getDeviceId() : device.getDeviceType();
    }

    private static EngineOptions engineOptions(AnalyzeOptions o) throws Failure {
        EngineOptions d = EngineOptions.defaults();
        try {
            return new EngineOptions(o.k, o.oversampling != null ? o.oversampling : d.oversampling(),
                    o.powerIterations != null ? o.powerIterations : d.powerIterations(),
                    o.denseLimit != null ? o.denseLimit : d.denseLimit(), d.denseMaxIterations(), d.denseTolerance(), d.rankTau(),
                    d.denseStackElements(), o.seed != null ? o.seed : d.seed());
        } catch (IllegalArgumentException e) {
            throw new Failure(e.getMessage(), e);
        }
    }

    private static ResidualNetwork load(Path model, Device device) throws IOException {
        try {
            return Architectures.load(model, device);
        } catch (IOException e) {
            throw new IOException("loading model " + model + ": " + describe(e), e);
        }
    }

    private static MetricsWriter open(AnalyzeOptions o, PrintStream out) throws Failure {
        Writer w;
        boolean owned = o.output != null;
        if (owned) {
            try {
                w = Files.newBufferedWriter(o.output, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new Failure("cannot create output file " + o.output + ": " + describe(e), e);
            }
        } else {
            w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
        }
        try {
            return o.format == AnalyzeOptions.Format.CSV ? new CsvWriter(w, owned) : new JsonLinesWriter(w, owned);
        } catch (IOException e) {
            throw new Failure("writing " + (owned ? o.output : "stdout") + " failed: " + describe(e), e);
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException) {
            return m + ": no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return m + ": access denied";
        }
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    /** A runtime error whose message already says what failed and where. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }

        Failure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
