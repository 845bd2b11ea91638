package io.resalign.service;

import io.resalign.drift.DriftReport;

/**
 * Counts what one monitor has taken and decided since its state was created: samples (reference
 * included; the next sample's ordinal), windows tested, and windows flagged for alignment and for
 * output drift. The state head stores them and the gauges export them.
 */
final class MonitorCounters {
    private long samplesSeen;
    private long windowsTested;
    private long alarms;
    private long outputAlarms;

    /** Creates counters at zero. */
    MonitorCounters() {}

    /** Creates counters read back from a store. */
    MonitorCounters(long samplesSeen, long windowsTested, long alarms, long outputAlarms) {
        this.samplesSeen = samplesSeen;
        this.windowsTested = windowsTested;
        this.alarms = alarms;
        this.outputAlarms = outputAlarms;
    }

    /** Counts a sample and returns its ordinal (0 for the monitor's first). */
    long nextOrdinal() {
        return samplesSeen++;
    }

    /** Counts a tested window and its two decisions. */
    void countWindow(DriftReport tested) {
        windowsTested++;
        alarms += tested.decision();
        outputAlarms += tested.output().decision();
    }

    /** Returns the samples taken, reference included. */
    long samplesSeen() {
        return samplesSeen;
    }

    /** Returns the windows tested. */
    long windowsTested() {
        return windowsTested;
    }

    /** Returns the windows flagged for alignment drift. */
    long alarms() {
        return alarms;
    }

    /** Returns the windows flagged for output drift. */
    long outputAlarms() {
        return outputAlarms;
    }
}
