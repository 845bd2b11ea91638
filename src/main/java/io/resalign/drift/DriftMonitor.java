package io.resalign.drift;

import java.util.Optional;

/**
 * Runs the reference/window/test lifecycle of one model version: it builds the reference from the
 * first samples, tests each closed window against it, and lets an operator pin the last closed
 * window as the reference or reset it, both of which restart the windows.
 *
 * <p>It is the one place this lifecycle lives. In process (tests, benchmarks, the CLI) it keeps its
 * own {@link HoppingCountWindows} and {@link #accept} does everything; the streaming service's
 * {@code ModelMonitor} keeps the same windows itself, with its own pane payload (sample ordinals and
 * output counts) that its state store encodes, and hands each closed window to {@link #test}.
 *
 * <p>The drift test is built lazily from the reference and the settings (the same thresholds every
 * time, so it need not be stored). As soon as a reference exists, the calibration for the
 * configured window size starts on a background thread ({@link DriftDetector#calibrateAhead}), so the
 * first window test does not make the caller (a stream thread) wait for it. Not thread-safe.
 */
public final class DriftMonitor {
    private final ModelVersion modelVersion;
    private final DriftSettings settings;
    private final ReferenceState reference;
    /** The in-process windows; null when the caller keeps its own. */
    private final HoppingCountWindows<Void> ownWindows;
    /** The windows a pin or reset restarts: the own ones or the caller's. */
    private final HoppingCountWindows<?> windows;
    private DriftDetector test;
    private WindowAggregate lastWindow;

    /** Creates an in-process monitor, with its own windows, that starts by collecting its reference. */
    public DriftMonitor(ModelVersion modelVersion, FeatureSchema schema, DriftSettings settings) {
        this(modelVersion, settings, new ReferenceState(schema, settings.referenceSize()),
                null, HoppingCountWindows.withoutPayload(schema, settings.windowSize(), settings.windowAdvance()), null);
    }

    /**
     * Creates the lifecycle of a monitor whose windows the caller keeps and adds samples to, from a
     * restored state.
     *
     * @param reference the reference, collecting or complete
     * @param lastWindow the last closed window since the reference last changed, or null
     * @param windows the caller's open windows, cleared here after a pin or reset
     */
    public DriftMonitor(ModelVersion modelVersion, DriftSettings settings, ReferenceState reference, WindowAggregate lastWindow,
            HoppingCountWindows<?> windows) {
        this(modelVersion, settings, reference, lastWindow, null, windows);
    }

    private DriftMonitor(ModelVersion modelVersion, DriftSettings settings, ReferenceState reference, WindowAggregate lastWindow,
            HoppingCountWindows<Void> ownWindows, HoppingCountWindows<?> callersWindows) {
        this.modelVersion = modelVersion;
        this.settings = settings;
        this.reference = reference;
        this.ownWindows = ownWindows;
        this.windows = ownWindows != null ? ownWindows : callersWindows;
        this.lastWindow = lastWindow;
        calibrateAhead();
    }

    /** Takes one sample; returns the report of the window it closes, if it closes one (in-process monitors only). */
    public Optional<DriftReport> accept(FeatureVector sample, long timestamp) {
        if (ownWindows == null) {
            throw new IllegalStateException("the monitor of " + modelVersion + " keeps its windows outside; use offerReference and test");
        }
        if (offerReference(sample, timestamp)) {
            return Optional.empty();
        }
        return ownWindows.add(sample, timestamp).map(w -> test(w.samples()));
    }

    /** Offers a sample to the reference; true when the reference took it (it was collecting), false when it is a window sample. */
    public boolean offerReference(FeatureVector sample, long timestamp) {
        if (!reference.offer(sample, timestamp)) {
            return false;
        }
        if (!reference.isCollecting()) {
            calibrateAhead(); // this sample completed the reference
        }
        return true;
    }

    /** Tests a closed window against the reference, and remembers it as the window a pin would take. */
    public DriftReport test(WindowAggregate closed) {
        lastWindow = closed;
        return test().test(closed);
    }

    /** Pins the most recently closed window as the reference; false when no window has closed since the last change. */
    public boolean pinLastWindow(long now) {
        if (lastWindow == null) {
            return false;
        }
        reference.pin(lastWindow, now);
        restartWindows();
        calibrateAhead();
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

    private void calibrateAhead() {
        if (reference.profile().isPresent()) {
            test().calibrateAhead(settings.windowSize());
        }
    }

    /** Returns the reference state. */
    public ReferenceState reference() {
        return reference;
    }

    /** Returns the last closed window since the reference last changed, if any. */
    public Optional<WindowAggregate> lastWindow() {
        return Optional.ofNullable(lastWindow);
    }

    /** Returns the test against the current reference; empty while the reference is collecting. */
    public Optional<DriftDetector> currentTest() {
        return reference.profile().map(p -> test());
    }

    private DriftDetector test() {
        if (test == null) {
            test = new DriftDetector(modelVersion, reference.profile().orElseThrow(), settings);
        }
        return test;
    }
}
