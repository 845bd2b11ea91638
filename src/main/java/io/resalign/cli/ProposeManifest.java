package io.resalign.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.model.ModelManifest;
import io.resalign.engine.model.proposal.ArchitectureRecogniser;
import io.resalign.engine.model.proposal.Proposal;
import io.resalign.engine.model.proposal.ProposalRequest;
import io.resalign.engine.model.proposal.TensorShapes;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The command that turns a PyTorch {@code state_dict} saved as safetensors into a model directory:
 * reads the file's header only, recognises the architecture and hyper-parameters it describes
 * ({@link ArchitectureRecogniser}), and writes {@code manifest.json} beside the weights or into
 * {@code --out} (docs/cli.md, docs/models.md "Your own model"). Run {@code propose-manifest --help}.
 *
 * <p>Exit status: 0 on success, 1 on a runtime error (the message names the tensor or file),
 * 2 on a usage error.
 */
public final class ProposeManifest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COMMAND = "propose-manifest";

    private ProposeManifest() {}

    /** Runs the command and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs the command.
     *
     * @param args the command line
     * @param out standard output: --help
     * @param err standard error: what was recognised, what watching costs, errors
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        ProposeOptions options;
        try {
            options = ProposeOptions.parse(args);
        } catch (UsageException e) {
            err.println(COMMAND + ": " + e.getMessage());
            err.println();
            err.println(ProposeOptions.USAGE);
            return Analyze.USAGE_ERROR;
        }
        if (options.help) {
            out.println(ProposeOptions.USAGE);
            return Analyze.OK;
        }
        try {
            propose(options, err);
            return Analyze.OK;
        } catch (IOException | IllegalArgumentException e) {
            err.println(COMMAND + ": error: " + e.getMessage());
            return Analyze.RUNTIME_ERROR;
        }
    }

    private static void propose(ProposeOptions o, PrintStream err) throws IOException {
        if (!Files.isRegularFile(o.weights)) {
            throw new IOException(o.weights + ": no such file");
        }
        TensorShapes shapes = TensorShapes.read(o.weights);
        Proposal proposal = ArchitectureRecogniser.recognise(shapes, new ProposalRequest(o.inputShape, o.numHeads));
        List<String> classes = classes(o, proposal);
        List<String> watch = ManifestDraft.resolveWatch(o.watch, proposal);
        Path dir = o.out != null ? o.out : o.weights.toAbsolutePath().getParent();
        String name = o.name != null ? o.name : dir.toAbsolutePath().normalize().getFileName().toString();
        String weights = o.weights.getFileName().toString();
        ObjectNode manifest = ManifestDraft.manifest(proposal, o, name, classes, watch, weights);
        // the loader's own checks (input, preprocessing, classes) before anything is written
        ModelManifest.parse(manifest, COMMAND + " --input-shape/--mean/--std");

        Path manifestFile = dir.resolve(ModelManifest.FILE);
        if (Files.exists(manifestFile) && !o.force) {
            throw new IOException(manifestFile + " exists; give --force to overwrite it or --out for another directory");
        }
        Files.createDirectories(dir);
        placeWeights(o, dir.resolve(weights));
        Files.writeString(manifestFile, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest) + "\n");

        err.printf("%s: %s: %s, %d blocks, %d classes, %d tensors read from the header%n", COMMAND, o.weights,
                proposal.architecture(), proposal.blocks().size(), proposal.numClasses(), shapes.names().size());
        err.println(COMMAND + ": hyperparameters " + proposal.hyperparameters());
        proposal.assumptions().forEach(a -> err.println(COMMAND + ": assumed " + a));
        if (o.classes == null) {
            err.println(COMMAND + ": classes named 0.." + (proposal.numClasses() - 1) + " (give --classes FILE for their names)");
        }
        if (o.scale == null && o.mean == null && o.std == null) {
            err.println(COMMAND + ": no preprocessing: the model gets the tensors as sent (see --scale, --mean, --std)");
        }
        ManifestDraft.cost(proposal, watch, proposal.numClasses()).forEach(line -> err.println(COMMAND + ": " + line));
        err.println(COMMAND + ": wrote " + manifestFile + "; analyse samples with");
        err.println("  ./mvnw -q compile exec:exec@analyze -Danalyze.args=\"--model " + dir + " --input FILE\"");
    }

    private static List<String> classes(ProposeOptions o, Proposal proposal) throws IOException {
        long c = proposal.numClasses();
        if (o.classes != null) {
            List<String> names = new ArrayList<>();
            for (String line : Files.readAllLines(o.classes, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    names.add(line.strip());
                }
            }
            if (names.size() != c) {
                throw new IOException(o.classes + " lists " + names.size() + " class names, but " + proposal.classesTensor()
                        + " gives " + c + " classes (its first axis); expected one non-blank line per class");
            }
            return names;
        }
        if (o.numClasses != null && o.numClasses != c) {
            throw new IOException("--num-classes " + o.numClasses + ", but " + proposal.classesTensor() + " gives " + c
                    + " classes (its first axis)");
        }
        return IntStream.range(0, (int) c).mapToObj(Integer::toString).toList();
    }

    /** Copies or links the weights into the directory, unless they are that file already. */
    private static void placeWeights(ProposeOptions o, Path target) throws IOException {
        if (Files.exists(target) && Files.isSameFile(target, o.weights)) {
            return;
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (!o.force) {
                throw new IOException(target + " exists and is not " + o.weights + "; give --force to replace it");
            }
            Files.delete(target);
        }
        if (o.link) {
            Files.createSymbolicLink(target, o.weights.toAbsolutePath());
        } else {
            Files.copy(o.weights, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
    }
}
