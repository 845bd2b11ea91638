package io.resalign.drift;

import java.util.Optional;

/**
 * Runs the reference/window/test lifecycle of one model version: it builds the reference from the
 * first samples, tests each closed window against it, and lets an operator pin the last closed
 * window as the reference or reset it, both of which restart the windows.
 *
 * <p>It is the one place this lifecycle lives. In process (tests, benchmarks, the CLI) it keeps its
 * own {@link HoppingCountWindows} and {@link #accept} does everything; the streaming service's
 * {@code ModelMonitor} keeps its own serialisable windows, hands each closed window to
 * {@link #test}, and adds reports, gauges and the state-store encoding around it.
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
    private final HoppingCountWindows windows;
    private final Runnable clearWindows;
    private DriftDetector test;
    private WindowAggregate lastWindow;

    /** Creates an in-process monitor, with its own windows, that starts by collecting its reference. */
    public DriftMonitor(ModelVersion modelVersion, FeatureSchema schema, DriftSettings settings) {
        this(modelVersion, settings, new ReferenceState(schema, settings.referenceSize()),
                new HoppingCountWindows(schema, settings.windowSize(), settings.windowAdvance()), null, null);
    }

    /**
     * Creates the lifecycle of a monitor whose windows the caller keeps, from a restored state.
     *
     * @param reference the reference, collecting or complete
     * @param lastWindow the last closed window since the reference last changed, or null
     * @param clearWindows drops the caller's open windows (after a pin or reset)
     */
    public DriftMonitor(ModelVersion modelVersion, DriftSettings settings, ReferenceState reference, WindowAggregate lastWindow,
            Runnable clearWindows) {
        this(modelVersion, settings, reference, null, lastWindow, clearWindows);
    }

    private DriftMonitor(ModelVersion modelVersion, DriftSettings settings, ReferenceState reference, HoppingCountWindows windows,
            WindowAggregate lastWindow, Runnable clearWindows) {
        this.modelVersion = modelVersion;
        this.settings = settings;
        this.reference = reference;
        this.windows = windows;
        this.clearWindows = clearWindows != null ? clearWindows : windows::clear;
        this.lastWindow = lastWindow;
        calibrateAhead();
    }

    /** Takes one sample; returns the report of the window it closes, if it closes one (in-process monitors only). */
    public Optional<DriftReport> accept(FeatureVector sample, long timestamp) {
        if (windows == null) {
            throw new IllegalStateException("the monitor of " + modelVersion + " keeps its windows outside; use offerReference and test");
        }
        if (offerReference(sample, timestamp)) {
            return Optional.empty();
        }
        return windows.add(sample, timestamp).map(this::test);
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
        clearWindows.run();
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
