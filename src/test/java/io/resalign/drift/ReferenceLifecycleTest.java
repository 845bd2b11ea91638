package io.resalign.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.SyntheticMetricsStream.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Covers the three ways a reference comes about: first N samples, a pinned window, a reset. */
class ReferenceLifecycleTest {
    private static final FeatureSchema SCHEMA = SyntheticMetricsStream.SCHEMA;
    private static final ModelVersion MV = new ModelVersion("sim", "1");
    private static final DriftSettings SETTINGS = DriftSettings.defaults()
            .withReferenceSize(400).withWindow(100, 100).withBootstrapReplicates(2000);

    @Test
    void shouldTakeExactlyTheFirstNSamplesAndTestNoneOfThemWhenCollecting() {
        SyntheticMetricsStream stream = new SyntheticMetricsStream(Shape.MIXED, 1);
        DriftMonitor monitor = new DriftMonitor(MV, SCHEMA, SETTINGS);
        List<FeatureVector> first = new ArrayList<>();

        for (int i = 0; i < 400; i++) {
            FeatureVector v = stream.next();
            first.add(v);
            assertTrue(monitor.accept(v, i).isEmpty(), "sample " + i + " closed a window while collecting");
        }

        ReferenceProfile profile = monitor.reference().profile().orElseThrow();
        assertEquals(ReferenceSource.FIRST_SAMPLES, profile.source());
        assertEquals(400, profile.sampleCount());
        assertEquals(399, profile.createdAt(), "created when the N-th sample arrived");
        assertEquals((float) first.get(123).value(7), profile.value(123, 7));
        List<DriftReport> reports = feed(monitor, stream, 400, 300);
        assertEquals(3, reports.size(), "windows start after the reference");
        assertEquals(400, reports.get(0).windowStart());
        assertEquals(ReferenceSource.FIRST_SAMPLES, reports.get(0).referenceSource());
    }

    @Test
    void shouldMakeTheLastClosedWindowTheReferenceWhenPinned() {
        SyntheticMetricsStream stream = new SyntheticMetricsStream(Shape.MIXED, 2);
        DriftMonitor monitor = new DriftMonitor(MV, SCHEMA, SETTINGS);
        feed(monitor, stream, 0, 400);
        stream.shiftBlock("layer1.0", 1.0);
        List<DriftReport> shifted = feed(monitor, stream, 400, 200);
        assertTrue(shifted.get(1).drift(), "a 1 sd shift must be flagged before pinning");

        assertTrue(monitor.pinLastWindow(5000));

        ReferenceProfile pinned = monitor.reference().profile().orElseThrow();
        assertEquals(ReferenceSource.PINNED_WINDOW, pinned.source());
        assertEquals(100, pinned.sampleCount());
        assertEquals(5000, pinned.createdAt());
        List<DriftReport> after = feed(monitor, stream, 600, 1000);
        assertEquals(10, after.size(), "windows restart after the pin");
        assertTrue(after.stream().filter(DriftReport::drift).count() <= 1,
                "the shifted stream is the new normal: " + after.stream().map(DriftReport::drift).toList());
        assertEquals(ReferenceSource.PINNED_WINDOW, after.get(0).referenceSource());
    }

    @Test
    void shouldCollectAFreshReferenceFromTheNextNSamplesWhenReset() {
        SyntheticMetricsStream stream = new SyntheticMetricsStream(Shape.MIXED, 3);
        DriftMonitor monitor = new DriftMonitor(MV, SCHEMA, SETTINGS);
        feed(monitor, stream, 0, 500);
        ReferenceProfile old = monitor.reference().profile().orElseThrow();

        monitor.resetReference();

        assertTrue(monitor.reference().isCollecting());
        assertEquals(Optional.empty(), monitor.currentTest());
        assertTrue(feed(monitor, stream, 500, 399).isEmpty(), "no window is tested while collecting again");
        assertTrue(feed(monitor, stream, 899, 1).isEmpty());
        ReferenceProfile fresh = monitor.reference().profile().orElseThrow();
        assertEquals(ReferenceSource.FIRST_SAMPLES, fresh.source());
        assertEquals(899, fresh.createdAt());
        assertNotEquals(old, fresh);
        assertEquals(1, feed(monitor, stream, 900, 100).size());
    }

    @Test
    void shouldReportFalseWhenPinningBeforeAnyWindowClosed() {
        DriftMonitor monitor = new DriftMonitor(MV, SCHEMA, SETTINGS);

        assertFalse(monitor.pinLastWindow(1));
        assertTrue(monitor.reference().isCollecting());
    }

    @Test
    void shouldRoundTripWhileCollectingAndWhenReadyWhenStateIsSerialised() {
        SyntheticMetricsStream stream = new SyntheticMetricsStream(Shape.MIXED, 4);
        ReferenceState state = new ReferenceState(SCHEMA, 50);
        for (int i = 0; i < 20; i++) {
            state.offer(stream.next(), i);
        }

        ReferenceState collecting = ReferenceState.fromBytes(state.toBytes());

        assertEquals(state, collecting);
        assertTrue(collecting.isCollecting());
        assertEquals(20, collecting.collectedCount());
        for (int i = 20; i < 50; i++) {
            collecting.offer(stream.next(), i);
        }
        ReferenceState ready = ReferenceState.fromBytes(collecting.toBytes());
        assertEquals(collecting, ready);
        assertEquals(50, ready.profile().orElseThrow().sampleCount());
        assertFalse(ready.offer(stream.next(), 99), "a ready reference takes no more samples");
    }

    @Test
    void shouldRoundTripRowsSourceAndTimeWhenAProfileIsSerialised() {
        SyntheticMetricsStream stream = new SyntheticMetricsStream(Shape.MIXED, 5);
        WindowAggregate w = new WindowAggregate(SCHEMA);
        for (int i = 0; i < 300; i++) {
            w.add(stream.next(), i);
        }
        ReferenceProfile profile = ReferenceProfile.of(w, ReferenceSource.PINNED_WINDOW, 123_456L);

        ReferenceProfile back = ReferenceProfile.fromBytes(profile.toBytes());

        assertEquals(profile, back);
        assertEquals(ReferenceSource.PINNED_WINDOW, back.source());
        assertEquals(123_456L, back.createdAt());
        assertEquals(3.0, back.ageSeconds(126_456L));
        assertEquals(w.summary(5), back.asWindow().summary(5));
    }

    private static List<DriftReport> feed(DriftMonitor monitor, SyntheticMetricsStream stream, long start, int n) {
        List<DriftReport> reports = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            monitor.accept(stream.next(), start + i).ifPresent(reports::add);
        }
        return reports;
    }
}
