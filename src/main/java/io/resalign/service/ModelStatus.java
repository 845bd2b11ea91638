package io.resalign.service;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Reports how loading one model directory went: the model version it declares, whether its engine
 * is serving, on which device, how long loading took, why it failed when it did, and, for a failed
 * one, how many attempts were made and when the next one is due.
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
 * @param attempts how many times the directory was tried so far, the first load included
 * @param nextAttemptMillis wall-clock milliseconds of the next attempt of a failed directory; 0 when loaded
 */
public record ModelStatus(String model, String version, Path directory, State state, String device, long loadMillis,
        String reason, int classes, List<Block> blocks, int attempts, long nextAttemptMillis) {

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
        /** Manifest or weights unusable at the last attempt; samples for it cannot be analysed until a retry loads it. */
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
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, was " + attempts);
        }
    }

    /** Reports the first load of a directory, with no retry planned. */
    public ModelStatus(String model, String version, Path directory, State state, String device, long loadMillis,
            String reason, int classes, List<Block> blocks) {
        this(model, version, directory, state, device, loadMillis, reason, classes, blocks, 1, 0);
    }

    /** Reports the first load of a model version without its blocks (failed, or not needed), with no retry planned. */
    public ModelStatus(String model, String version, Path directory, State state, String device, long loadMillis,
            String reason, int classes) {
        this(model, version, directory, state, device, loadMillis, reason, classes, List.of());
    }

    /** Returns when a failed directory is tried next; empty when it is loaded or no retry is planned. */
    public Optional<Instant> nextAttempt() {
        return state == State.FAILED && nextAttemptMillis > 0 ? Optional.of(Instant.ofEpochMilli(nextAttemptMillis)) : Optional.empty();
    }

    /** Returns whether the engine of this model version is serving. */
    public boolean loaded() {
        return state == State.LOADED;
    }
}
