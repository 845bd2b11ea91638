package io.resalign.drift;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Groups one model version's samples into count-based hopping windows of {@code size} samples
 * that start every {@code advance} samples, built from panes of {@code advance} samples so that
 * each sample is stored once however much windows overlap.
 *
 * <p>This is the in-process windowing (tests, benchmarks, the CLI); the streaming service keeps
 * the same panes in a window store and merges them with {@link WindowAggregate#merge}.
 */
public final class HoppingCountWindows {
    private final FeatureSchema schema;
    private final int size;
    private final int advance;
    private final Deque<WindowAggregate> panes = new ArrayDeque<>();
    private WindowAggregate current;

    /** Creates windows of {@code size} samples every {@code advance} samples; advance must divide size. */
    public HoppingCountWindows(FeatureSchema schema, int size, int advance) {
        if (advance < 1 || size < advance || size % advance != 0) {
            throw new IllegalArgumentException("window advance " + advance + " must divide window size " + size);
        }
        this.schema = schema;
        this.size = size;
        this.advance = advance;
        this.current = new WindowAggregate(schema);
    }

    /** Adds a sample and returns the window it closes, if any. */
    public Optional<WindowAggregate> add(FeatureVector sample, long timestamp) {
        current.add(sample, timestamp);
        if (current.count() < advance) {
            return Optional.empty();
        }
        panes.addLast(current);
        current = new WindowAggregate(schema);
        if (panes.size() < size / advance) {
            return Optional.empty();
        }
        WindowAggregate window = WindowAggregate.concat(schema, panes);
        panes.removeFirst();
        return Optional.of(window);
    }

    /** Drops every open pane (after a reference reset or pin). */
    public void clear() {
        panes.clear();
        current = new WindowAggregate(schema);
    }
}
