package io.resalign.engine.model.proposal;

import java.io.IOException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Recognises which built-in architecture a weights file's names and shapes describe. Each family
 * reads its hyper-parameters off a few anchor tensors and then checks every tensor against them;
 * their names do not overlap, so at most one family explains a whole file.
 *
 * <p>When none does, the message names the first tensor, in the file's order, that no family takes
 * as it is, with its shape and what each family expected under that name; when every tensor suits
 * some family but none suits them all (a tensor missing, say), it names the first misfit of the
 * family that takes the most.
 */
public final class ArchitectureRecogniser {

    private interface Family {
        Fit fit(TensorShapes file, ProposalRequest request);
    }

    private static final List<Family> FAMILIES = List.of(MlpFamily::fit, ConvFamily::fit, VitFamily::fit);

    private ArchitectureRecogniser() {}

    /**
     * Proposes the architecture and hyper-parameters of a weights file.
     *
     * @param file the file's tensor names and shapes
     * @param request the input shape and what the shapes cannot tell
     * @return the proposal
     * @throws IOException naming the tensor that fits no architecture and what each expected, or the missing hyper-parameter
     */
    public static Proposal recognise(TensorShapes file, ProposalRequest request) throws IOException {
        List<Fit> fits = FAMILIES.stream().map(f -> f.fit(file, request)).toList();
        for (Fit fit : fits) {
            if (fit.proposal() != null) {
                return fit.proposal();
            }
            if (fit.refusal() != null) {
                throw new IOException(file.source() + ": recognised as " + fit.architecture() + ", but " + fit.refusal());
            }
        }
        if (file.names().isEmpty()) {
            throw new IOException(file.source() + ": the file holds no tensors");
        }
        for (String name : file.names()) {
            long[] shape = file.shape(name);
            if (name.endsWith(".num_batches_tracked") || fits.stream().anyMatch(f -> f.accepts(name, shape))) {
                continue;
            }
            String expectations = fits.stream().map(f -> "  " + f.architecture() + ": " + f.expectationAt(name))
                    .collect(Collectors.joining("\n"));
            throw new IOException(file.source() + ": tensor '" + name + "' of shape " + Arrays.toString(shape)
                    + " fits no supported architecture; expected there:\n" + expectations);
        }
        Fit closest = fits.stream().max(Comparator.comparingLong(f -> f.accepted(file))).orElseThrow();
        Misfit m = closest.misfit();
        throw new IOException(file.source() + ": closest to " + closest.architecture() + " (" + closest.accepted(file) + " of "
                + file.names().size() + " tensors fit), but " + m.describeActual() + ", expected " + m.expected());
    }
}
