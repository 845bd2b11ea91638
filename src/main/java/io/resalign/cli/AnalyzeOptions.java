package io.resalign.cli;

import io.resalign.engine.DeviceChoice;

import java.nio.file.Path;
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
        for (CommandLine.Option option : CommandLine.split(args, KNOWN, Set.of("--summary", "--help"))) {
            String name = option.name();
            String value = option.value();
            switch (name) {
                case "--model" -> o.model = CommandLine.path(name, value);
                case "--input" -> o.input = CommandLine.path(name, value);
                case "--labels" -> o.labels = CommandLine.path(name, value);
                case "--output" -> o.output = CommandLine.path(name, value);
                case "--format" -> {
                    o.format = switch (value.toLowerCase(Locale.ROOT)) {
                        case "jsonl" -> Format.JSONL;
                        case "csv" -> Format.CSV;
                        default -> throw new UsageException("--format must be jsonl or csv, got '" + value + "'");
                    };
                    o.formatExplicit = true;
                }
                case "--batch" -> o.batch = CommandLine.positiveInt(name, value);
                case "--k" -> o.k = CommandLine.positiveInt(name, value);
                case "--limit" -> o.limit = CommandLine.positiveInt(name, value);
                case "--device" -> o.device = switch (value.toLowerCase(Locale.ROOT)) {
                    case "cpu" -> DeviceChoice.CPU;
                    case "gpu" -> DeviceChoice.GPU;
                    case "auto" -> DeviceChoice.AUTO;
                    default -> throw new UsageException("--device must be cpu, gpu or auto, got '" + value + "'");
                };
                case "--dense-limit" -> o.denseLimit = CommandLine.nonNegativeLong(name, value);
                case "--power-iterations" -> o.powerIterations = (int) CommandLine.nonNegativeInt(name, value);
                case "--oversampling" -> o.oversampling = (int) CommandLine.nonNegativeInt(name, value);
                case "--seed" -> o.seed = CommandLine.parseLong(name, value, "an integer");
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
}
