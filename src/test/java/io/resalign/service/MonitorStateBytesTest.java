package io.resalign.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.DriftSettings;
import io.resalign.drift.ModelVersion;
import io.resalign.engine.metrics.SampleMetrics;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Pins the bytes of the monitor state records: the fixtures under {@code monitor-state/} were
 * written by the build at commit 92b7117 (before the monitor's windows and state codec moved), for
 * four monitors: collecting its reference with no chunk yet, collecting with two full chunks and a
 * tail in the head, ready with an open pane, a closed pane, a last window, a report and output
 * counts, and pinned with open panes. A build that writes other bytes for the same samples, or reads
 * these records as another monitor, breaks the state a running service has in its store.
 */
class MonitorStateBytesTest {
    private static final ModelVersion MV = new ModelVersion("m", "1");
    private static final DriftSettings SETTINGS = DriftSettings.defaults()
            .withReferenceSize(200).withWindow(50, 25).withFalseAlarmRate(0.01).withBootstrapReplicates(2_000);
    /** Rows per chunk are 512 for 16 features: a reference of 1,200 is chunked while it is collected. */
    private static final DriftSettings LARGE_REFERENCE = SETTINGS.withReferenceSize(1_200);

    /** One pinned state: the samples that made it, and the settings it was made under. */
    enum Scenario {
        COLLECTING(SETTINGS, 120, false),
        COLLECTING_IN_CHUNKS(LARGE_REFERENCE, 1_100, false),
        OPEN_PANES(SETTINGS, 262, false),
        PINNED(SETTINGS, 262, true);

        final DriftSettings settings;
        final int samples;
        final boolean pinned;

        Scenario(DriftSettings settings, int samples, boolean pinned) {
            this.settings = settings;
            this.samples = samples;
            this.pinned = pinned;
        }

        String fixture() {
            return "/monitor-state/" + name().toLowerCase(java.util.Locale.ROOT) + ".records";
        }

        /** Feeds the monitor as the processor does (a save every 16 samples); a pinned one is pinned at 77 s and fed 30 more. */
        InMemoryRecords run(ModelMonitor monitor) {
            InMemoryRecords records = new InMemoryRecords();
            feed(monitor, 0, samples, records);
            if (pinned) {
                monitor.pinLastWindow(77_000);
                monitor.save(records);
                feed(monitor, samples, 30, records);
            }
            return records;
        }

        ModelMonitor monitor() {
            return new ModelMonitor(MV, SyntheticSamples.SCHEMA, settings, "cpu");
        }
    }

    /** Sample {@code i}: served on every third sample (agreeing on even ones), labelled on every fifth. */
    private static void feed(ModelMonitor monitor, int from, int n, InMemoryRecords records) {
        SyntheticSamples samples = new SyntheticSamples(4);
        for (int i = 0; i < from + n; i++) {
            SampleMetrics m = samples.next(i);
            if (i < from) {
                continue; // the same draws as the first run
            }
            OptionalInt served = i % 3 == 0 ? OptionalInt.of(i % 2 == 0 ? m.predicted() : (m.predicted() + 1) % 10) : OptionalInt.empty();
            OptionalInt label = i % 5 == 0 ? OptionalInt.of(i % 10 == 0 ? m.predicted() : (m.predicted() + 3) % 10) : OptionalInt.empty();
            monitor.accept(m, ModelMonitorTest.time(i), served, label);
            if ((i - from + 1) % 16 == 0 || i == from + n - 1) {
                monitor.save(records);
            }
        }
    }

    @Test
    void shouldWriteTheBytesOfTheBuildAt92b7117WhenFedTheSameSamples() throws IOException {
        for (Scenario s : Scenario.values()) {
            InMemoryRecords written = s.run(s.monitor());

            InMemoryRecords pinned = fixture(s);
            assertEquals(pinned.values.keySet(), written.values.keySet(), s + ": the same keys");
            for (String key : pinned.values.keySet()) {
                assertArrayEquals(pinned.get(key), written.get(key), s + ": the bytes under " + key);
            }
        }
    }

    @Test
    void shouldReadTheRecordsOfTheBuildAt92b7117AsTheMonitorThatWroteThemWhenLoaded() throws IOException {
        for (Scenario s : Scenario.values()) {
            ModelMonitor original = s.monitor();
            s.run(original);
            InMemoryRecords pinned = fixture(s);

            ModelMonitor restored = ModelMonitor.load(pinned, MV, SyntheticSamples.SCHEMA, s.settings, "cpu").orElseThrow();

            assertFalse(restored.migrated(), s.toString());
            assertEquals(original.samplesSeen(), restored.samplesSeen(), s.toString());
            assertEquals(original.referenceProfile(), restored.referenceProfile(), s.toString());
            assertEquals(original.latestReport(), restored.latestReport(), s.toString());
            InMemoryRecords resaved = new InMemoryRecords(pinned);
            restored.save(resaved);
            for (String key : pinned.values.keySet()) {
                assertArrayEquals(pinned.get(key), resaved.get(key), s + ": saving what was read writes the same bytes again under " + key);
            }
            assertEquals(pinned.values.keySet(), resaved.values.keySet(), s + ": and no other key");
            List<AlignmentReport> expected = new ArrayList<>();
            List<AlignmentReport> actual = new ArrayList<>();
            SyntheticSamples samples = new SyntheticSamples(99);
            for (int i = 0; i < 1_300; i++) {
                SampleMetrics m = samples.next(i);
                original.accept(m, 500_000L + 100L * i).ifPresent(expected::add);
                restored.accept(m, 500_000L + 100L * i).ifPresent(actual::add);
            }
            assertFalse(expected.isEmpty(), s + ": the continuation closes windows");
            assertEquals(expected, actual, s + ": the restored monitor continues as the original");
            // after windows were tested: a band is NaN until the restored reference's calibration is done, which a test waits for
            assertEquals(original.gauges(999_999), restored.gauges(999_999), s.toString());
        }
    }

    /** Reads a fixture: a count, then per record its key (UTF) and value (length, bytes). */
    static InMemoryRecords fixture(Scenario s) throws IOException {
        try (InputStream stream = MonitorStateBytesTest.class.getResourceAsStream(s.fixture())) {
            assertTrue(stream != null, "fixture " + s.fixture());
            DataInputStream in = new DataInputStream(stream);
            InMemoryRecords records = new InMemoryRecords();
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                String key = in.readUTF();
                byte[] value = new byte[in.readInt()];
                in.readFully(value);
                records.put(key, value);
            }
            assertEquals(-1, in.read(), "nothing after the records of " + s.fixture());
            return records;
        }
    }

    /** Writes records in the form {@link #fixture} reads. */
    static byte[] fixtureBytes(InMemoryRecords records) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(records.values.size());
        for (Map.Entry<String, byte[]> e : records.values.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeInt(e.getValue().length);
            out.write(e.getValue());
        }
        out.flush();
        return bytes.toByteArray();
    }
}
