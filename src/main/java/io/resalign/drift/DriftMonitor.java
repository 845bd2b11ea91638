package io.resalign.drift;

import java.util.Optional;

/**
 * Monitors one model version in process: it builds the reference from the first samples, then
 * groups later samples into hopping windows and tests each closed window against the reference.
 *
 * <p>It is the whole drift pipeline without Kafka, for tests, benchmarks and the CLI; the
 * streaming service wires the same parts ({@link ReferenceState}, {@link WindowAggregate},
 * {@link DriftTest}) around its state stores.
 */
public final class DriftMonitor {
    private final ModelVersion modelVersion;
    private final DriftSettings settings;
    private final ReferenceState reference;
    private final HoppingCountWindows windows;
    private DriftTest test;
    private WindowAggregate lastWindow;

    /** Creates a monitor that starts by collecting its reference. */
    public DriftMonitor(ModelVersion modelVersion, FeatureSchema schema, DriftSettings settings) {
        this.modelVersion = modelVersion;
        this.settings = settings;
        this.reference = new ReferenceState(schema, settings.referenceSize());
        this.windows = new HoppingCountWindows(schema, settings.windowSize(), settings.windowAdvance());
    }

    /** Takes one sample; returns the report of the window it closes, if it closes one. */
    public Optional<DriftReport> accept(FeatureVector sample, long timestamp) {
        if (reference.offer(sample, timestamp)) {
            return Optional.empty();
        }
        Optional<WindowAggregate> closed = windows.add(sample, timestamp);
        closed.ifPresent(w -> lastWindow = w);
        return closed.map(w -> test().test(w));
    }

    /** Pins the most recently closed window as the reference; false when no window has closed yet. */
    public boolean pinLastWindow(long now) {
        if (lastWindow == null) {
            return false;
        }
        reference.pin(lastWindow, now);
        restartWindows();
        return true;
    }

    /** Drops the reference; the next {@code referenceSize} samples build a new one. */
    public void resetReference() {
        reference.reset();
        restartWindows();
    }

    private void restartWindows() {
        test = null;
        lastWindow = null;
        windows.clear();
    }

    /** Returns the reference state. */
    public ReferenceState reference() {
        return reference;
    }

    /** Returns the test against the current reference; empty while the reference is collecting. */
    public Optional<DriftTest> currentTest() {
        return reference.profile().map(p -> test());
    }

    private DriftTest test() {
        if (test == null) {
            test = new DriftTest(modelVersion, reference.profile().orElseThrow(), settings);
        }
        return test;
    }
}
