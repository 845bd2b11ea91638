package io.resalign.engine.model.proposal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Describes the architecture a weights file was recognised as: the manifest's {@code architecture}
 * and {@code hyperparameters}, the number of classes its head produces (and the tensor that says
 * so), its residual blocks with their Jacobian sides, and what had to be assumed because the
 * shapes do not tell.
 *
 * @param architecture the manifest's architecture name
 * @param hyperparameters the manifest's hyper-parameters object
 * @param numClasses the head's output count C
 * @param classesTensor the tensor whose first axis is C ({@code fc.weight})
 * @param blocks the residual blocks in network order
 * @param assumptions hyper-parameters taken at their defaults because no tensor shows them
 */
public record Proposal(String architecture, ObjectNode hyperparameters, long numClasses, String classesTensor,
        List<Block> blocks, List<String> assumptions) {

    /**
     * Describes one residual block: its name and stage as the engine reports them, and the sides
     * of its Residual Jacobian at the manifest's input shape (in = out for a square Jacobian).
     */
    public record Block(String name, String stage, long inSide, long outSide) {}
}
