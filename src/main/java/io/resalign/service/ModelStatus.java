package io.resalign.service;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Reports how loading one model directory went: the model version it declares, whether its engine
 * is serving, on which device, how long loading took, and why it failed when it did.
 *
 * @param model the manifest's name; the directory relative to the models root when the manifest is unreadable
 * @param version the manifest's version; {@link #UNKNOWN_VERSION} when the manifest is unreadable
 * @param directory the model directory
 * @param state loaded or failed
 * @param device device label ({@code cpu}, {@code gpu0}) the engine runs on; the intended device when failed
 * @param loadMillis wall-clock milliseconds spent loading (also when it failed)
 * @param reason why loading failed; empty when loaded
 * @param classes the manifest's number of classes C; 0 when the manifest is unreadable
 * @param blocks the watched blocks in engine order (the order of the per-block metrics); empty when failed
 */
public record ModelStatus(String model, String version, Path directory, State state, String device, long loadMillis,
        String reason, int classes, List<Block> blocks) {

    /**
     * Describes one watched block, for the {@code resalign_block_info} labels.
     *
     * @param name the block's label ({@code layer2.0}, {@code encoder_layer_3.mlp})
     * @param stage the stage it belongs to ({@code layer2}, {@code encoder})
     * @param kind what its branch computes ({@code residual}, {@code attention}, {@code mlp})
     */
    public record Block(String name, String stage, String kind) {
        /** Checks that nothing is missing. */
        public Block {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(stage, "stage");
            Objects.requireNonNull(kind, "kind");
        }
    }

    /** The version reported for a directory whose manifest cannot be read. */
    public static final String UNKNOWN_VERSION = "?";

    /** Says whether a model version serves. */
    public enum State {
        /** Weights loaded, engine ready. */
        LOADED,
        /** Manifest or weights unusable; samples for it cannot be analysed. */
        FAILED
    }

    /** Checks that nothing is missing. */
    public ModelStatus {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(reason, "reason");
        blocks = List.copyOf(blocks);
    }

    /** Reports a model version without its blocks (failed, or not needed). */
    public ModelStatus(String model, String version, Path directory, State state, String device, long loadMillis,
            String reason, int classes) {
        this(model, version, directory, state, device, loadMillis, reason, classes, List.of());
    }

    /** Returns whether the engine of this model version is serving. */
    public boolean loaded() {
        return state == State.LOADED;
    }
}
