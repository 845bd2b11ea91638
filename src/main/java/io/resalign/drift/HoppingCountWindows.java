package io.resalign.drift;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Groups one model version's samples into count-based hopping windows of {@code size} samples
 * that start every {@code advance} samples, built from panes of {@code advance} samples so that
 * each sample is stored once however much windows overlap.
 *
 * <p>Each pane carries, beside its samples, a payload the caller defines ({@code P}, made and
 * merged by a {@link Payload}), and a closed window carries the merge of its panes' payloads: the
 * streaming service keeps the ordinal of a pane's first sample and its output counts there, so a
 * report names its window's samples; in process there is none ({@link #withoutPayload}). The open
 * panes can be read ({@link #fullPanes}, {@link #currentPane}) and put back ({@link #restore}),
 * so a state store keeps them in its own layout; this class has no encoding of its own.
 *
 * @param <P> what a pane carries beside its samples
 */
public final class HoppingCountWindows<P> {
    /** No payload: panes and windows carry null. */
    private static final Payload<Void> NO_PAYLOAD = new Payload<>() {
        @Override
        public Void empty() {
            return null;
        }

        @Override
        public Void merge(List<Void> panes) {
            return null;
        }
    };

    /**
     * Makes and merges what panes carry beside their samples.
     *
     * @param <P> the payload
     */
    public interface Payload<P> {
        /** Returns the payload of a new, empty pane. */
        P empty();

        /** Returns the payload of a window made of these panes' payloads, oldest first, leaving them as they are. */
        P merge(List<P> panes);
    }

    /**
     * Holds one pane: its samples and its payload.
     *
     * @param samples the pane's samples (at most {@code advance})
     * @param payload what the pane carries beside them
     * @param <P> the payload
     */
    public record Pane<P>(WindowAggregate samples, P payload) {}

    /**
     * Holds a closed window: the samples of its panes in order and their merged payload.
     *
     * @param samples the window's {@code size} samples
     * @param payload the merge of its panes' payloads
     * @param <P> the payload
     */
    public record Window<P>(WindowAggregate samples, P payload) {}

    private final FeatureSchema schema;
    private final int size;
    private final int advance;
    private final Payload<P> payload;
    private final Deque<Pane<P>> panes = new ArrayDeque<>();
    private Pane<P> current;

    /** Creates windows of {@code size} samples every {@code advance} samples whose panes carry {@code payload}; advance must divide size. */
    public HoppingCountWindows(FeatureSchema schema, int size, int advance, Payload<P> payload) {
        if (advance < 1 || size < advance || size % advance != 0) {
            throw new IllegalArgumentException("window advance " + advance + " must divide window size " + size);
        }
        this.schema = schema;
        this.size = size;
        this.advance = advance;
        this.payload = payload;
        this.current = emptyPane();
    }

    /** Creates windows whose panes carry nothing but their samples (the in-process {@link DriftMonitor}'s). */
    public static HoppingCountWindows<Void> withoutPayload(FeatureSchema schema, int size, int advance) {
        return new HoppingCountWindows<>(schema, size, advance, NO_PAYLOAD);
    }

    /**
     * Returns windows with these open panes, as {@link #fullPanes} and {@link #currentPane} returned
     * them (read back from a store); the panes are taken as they are, not copied.
     */
    public static <P> HoppingCountWindows<P> restore(FeatureSchema schema, int size, int advance, Payload<P> payload,
            List<Pane<P>> fullPanes, Pane<P> currentPane) {
        HoppingCountWindows<P> windows = new HoppingCountWindows<>(schema, size, advance, payload);
        windows.panes.addAll(fullPanes);
        windows.current = currentPane;
        return windows;
    }

    private Pane<P> emptyPane() {
        return new Pane<>(new WindowAggregate(schema), payload.empty());
    }

    /** Adds a sample and returns the window it closes, if any. */
    public Optional<Window<P>> add(FeatureVector sample, long timestamp) {
        return add(sample, timestamp, p -> {});
    }

    /**
     * Adds a sample, lets {@code note} record it in its pane's payload, and returns the window it
     * closes, if any.
     */
    public Optional<Window<P>> add(FeatureVector sample, long timestamp, Consumer<? super P> note) {
        current.samples().add(sample, timestamp);
        note.accept(current.payload());
        if (current.samples().count() < advance) {
            return Optional.empty();
        }
        panes.addLast(current);
        current = emptyPane();
        if (panes.size() < size / advance) {
            return Optional.empty();
        }
        List<WindowAggregate> samples = new ArrayList<>(panes.size());
        List<P> payloads = new ArrayList<>(panes.size());
        for (Pane<P> p : panes) {
            samples.add(p.samples());
            payloads.add(p.payload());
        }
        Window<P> window = new Window<>(WindowAggregate.concat(schema, samples), payload.merge(payloads));
        panes.removeFirst();
        return Optional.of(window);
    }

    /** Drops every open pane (after a reference reset or pin). */
    public void clear() {
        panes.clear();
        current = emptyPane();
    }

    /** Returns the window size, samples. */
    public int size() {
        return size;
    }

    /** Returns the window advance (the pane size), samples. */
    public int advance() {
        return advance;
    }

    /** Returns the full panes of the window being filled, oldest first (fewer than {@code size / advance}). */
    public List<Pane<P>> fullPanes() {
        return List.copyOf(panes);
    }

    /** Returns the pane being filled (possibly empty). */
    public Pane<P> currentPane() {
        return current;
    }
}
