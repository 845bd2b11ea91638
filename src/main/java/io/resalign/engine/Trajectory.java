package io.resalign.engine;

import ai.djl.ndarray.NDArray;
import io.resalign.engine.arch.ResidualNetwork;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds one forward pass of a batch with every intermediate representation captured:
 * {@code states.get(l)} is h_l (B, *shape_l), l = 0..L, and the logits (B, C).
 *
 * @param states h_0..h_L
 * @param logits the head's output
 */
public record Trajectory(List<NDArray> states, NDArray logits) {

    /** Runs the network on a batch of raw inputs (B, *input.shape), capturing h_0..h_L. */
    public static Trajectory trace(ResidualNetwork network, NDArray input) {
        List<NDArray> states = new ArrayList<>();
        NDArray h = network.stem(input);
        states.add(h);
        for (var block : network.blocks()) {
            h = block.forward(h);
            states.add(h);
        }
        return new Trajectory(List.copyOf(states), network.head(h));
    }

    /** Returns the trajectory RA1 measures: every state through {@link ResidualNetwork#trajectoryPoint}. */
    public Trajectory measuredBy(ResidualNetwork network) {
        return new Trajectory(states.stream().map(network::trajectoryPoint).toList(), logits);
    }
}
