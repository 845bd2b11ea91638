package io.resalign.cli;

import io.resalign.engine.DeviceChoice;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/** The parsed command line of {@link Analyze}; {@link #parse} checks every value. */
final class AnalyzeOptions {
    /** Output formats. */
    enum Format { JSONL, CSV }

    /** Device choices. */

    Path model;
    Path input;
    Path labels;
    Path output;
    Format format;
    boolean formatExplicit;
    int batch = 32;
    int k;
    int limit = -1;
    DeviceChoice device = DeviceChoice.AUTO;
    Long denseLimit;
    Integer powerIterations;
    Integer oversampling;
    Long seed;
    boolean summary;
    boolean help;

    static final String USAGE = String.join("\n",
            "Usage: analyze --model DIR --input FILE [options]",
            "",
            "Computes the Residual Alignment metrics of every sample of FILE through the model in DIR",
            "(docs/models.md, docs/metrics-definitions.md) and writes one record per sample as it goes.",
            "",
            "Required:",
            "  --model DIR              model directory (manifest.json + safetensors weights)",
            "  --input FILE             samples: .npy, .idx / *-ubyte, .json, .jsonl / .ndjson (optionally .gz);",
            "                           one sample must hold prod(input.shape) values of the manifest",
            "Options:",
            "  --labels FILE            integer labels, one per sample (IDX, .npy or JSON array), carried into the output",
            "  --output FILE            output file (default: stdout)",
            "  --format jsonl|csv       output format (default: from --output's extension, .csv = csv, else jsonl)",
            "  --batch N                samples per engine batch (default 32)",
            "  --k K                    singular triplets per block (default C, the number of classes; capped by the",
            "                           Jacobian's smaller side)",
            "  --limit N                analyse only the first N samples",
            "  --device cpu|gpu|auto    where to run (default auto: GPU when PyTorch sees one, else CPU)",
            "  --dense-limit N          largest Jacobian side built explicitly; 0 = matrix-free everywhere (default 2048)",
            "  --power-iterations N     power steps of the matrix-free randomized SVD (default 4)",
            "  --oversampling P         extra sketch columns of the randomized SVD (default 10)",
            "  --seed S                 seed of the randomized SVD's sketches (default 42)",
            "  --summary                at the end, print to stderr the mean and median over all samples of the sample",
            "                           metrics and of each block's sigma1, stable_rank, effective_rank, self_alignment",
            "                           and alignment (NaN values left out), and the accuracy when labelled",
            "  --help                   print this help and exit",
            "",
            "Options take their value as the next argument or after '=' (--batch=64).",
            "Exit status: 0 success, 1 runtime error (unreadable or invalid model, input or output), 2 usage error.",
            "Output schemas: docs/cli.md.");

    private AnalyzeOptions() {}

    /**
     * Parses a command line.
     *
     * @throws UsageException on an unknown option, a missing or malformed value, or a missing required option
     */
    static AnalyzeOptions parse(String[] args) throws UsageException {
        AnalyzeOptions o = new AnalyzeOptions();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("-h")) {
                o.help = true;
                continue;
            }
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "' (options start with --)");
            }
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!KNOWN.contains(name)) {
                throw new UsageException("unknown option '" + name + "'");
            }
            if (!seen.add(name)) {
                throw new UsageException(name + " given more than once");
            }
            boolean flag = name.equals("--summary") || name.equals("--help");
            if (flag) {
                if (value != null) {
                    throw new UsageException(name + " takes no value");
                }
            } else if (value == null) {
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new UsageException(name + " needs a value");
                }
                value = args[++i];
            }
            switch (name) {
                case "--model" -> o.model = path(name, value);
                case "--input" -> o.input = path(name, value);
                case "--labels" -> o.labels = path(name, value);
                case "--output" -> o.output = path(name, value);
                case "--format" -> {
                    o.format = switch (value.toLowerCase(Locale.ROOT)) {
                        case "jsonl" -> Format.JSONL;
                        case "csv" -> Format.CSV;
                        default -> throw new UsageException("--format must be jsonl or csv, got '" + value + "'");
                    };
                    o.formatExplicit = true;
                }
                case "--batch" -> o.batch = positiveInt(name, value);
                case "--k" -> o.k = positiveInt(name, value);
                case "--limit" -> o.limit = positiveInt(name, value);
                case "--device" -> o.device = switch (value.toLowerCase(Locale.ROOT)) {
                    case "cpu" -> DeviceChoice.CPU;
                    case "gpu" -> DeviceChoice.GPU;
                    case "auto" -> DeviceChoice.AUTO;
                    default -> throw new UsageException("--device must be cpu, gpu or auto, got '" + value + "'");
                };
                case "--dense-limit" -> o.denseLimit = nonNegativeLong(name, value);
                case "--power-iterations" -> o.powerIterations = (int) nonNegativeInt(name, value);
                case "--oversampling" -> o.oversampling = (int) nonNegativeInt(name, value);
                case "--seed" -> o.seed = anyLong(name, value);
                case "--summary" -> o.summary = true;
                case "--help" -> o.help = true;
                default -> throw new IllegalStateException(name);
            }
        }
        if (o.help) {
            return o;
        }
        if (o.model == null) {
            throw new UsageException("--model DIR is required");
        }
        if (o.input == null) {
            throw new UsageException("--input FILE is required");
        }
        if (o.format == null) {
            o.format = o.output != null && o.output.getFileName() != null
                    && o.output.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv") ? Format.CSV : Format.JSONL;
        }
        return o;
    }

    private static final Set<String> KNOWN = Set.of("--model", "--input", "--labels", "--output", "--format", "--batch", "--k",
            "--limit", "--device", "--dense-limit", "--power-iterations", "--oversampling", "--seed", "--summary", "--help");

    private static Path path(String name, String value) throws UsageException {
        if (value.isBlank()) {
            throw new UsageException(name + " needs a non-empty path");
        }
        try {
            return Path.of(value);
        } catch (RuntimeException e) {
            throw new UsageException(name + ": invalid path '" + value + "'");
        }
    }

    private static int positiveInt(String name, String value) throws UsageException {
        long v = parseLong(name, value, "a positive integer");
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new UsageException(name + " expects a positive integer, got '" + value + "'");
        }
        return (int) v;
    }

    private static long nonNegativeInt(String name, String value) throws UsageException {
        long v = parseLong(name, value, "a non-negative integer");
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw new UsageException(name + " expects a non-negative integer, got '" + value + "'");
        }
        return v;
    }

    private static long nonNegativeLong(String name, String value) throws UsageException {
        long v = parseLong(name, value, "a non-negative integer");
        if (v < 0) {
            throw new UsageException(name + " expects a non-negative integer, got '" + value + "'");
        }
        return v;
    }

    private static long anyLong(String name, String value) throws UsageException {
        return parseLong(name, value, "an integer");
    }

    private static long parseLong(String name, String value, String what) throws UsageException {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(name + " expects " + what + ", got '" + value + "'");
        }
    }
}
