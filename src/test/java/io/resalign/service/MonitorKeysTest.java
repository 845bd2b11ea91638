package io.resalign.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.DriftSettings;
import io.resalign.drift.ModelVersion;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Monitor store keys name one model version each: {@code a:b}/{@code 1} and {@code a}/{@code b:1}
 * shared {@code a:b:1} in earlier builds. Plain names keep their keys; the state of an escaped name is
 * moved from the old key once, and only when the old head is its own.
 */
class MonitorKeysTest {
    private static final DriftSettings SETTINGS = DriftSettings.defaults().withReferenceSize(40).withWindow(20, 10)
            .withBootstrapReplicates(200);

    @Test
    void shouldGiveEveryModelVersionItsOwnKeyAndKeepThePlainKeysOfEarlierBuilds() {
        assertEquals("demo-mlp:1", MonitorRecords.headKey(new ModelVersion("demo-mlp", "1")));
        assertEquals("resnet50_v1.5:2026-12", MonitorRecords.headKey(new ModelVersion("resnet50_v1.5", "2026-12")));
        String ab1 = MonitorRecords.headKey(new ModelVersion("a:b", "1"));
        String a_b1 = MonitorRecords.headKey(new ModelVersion("a", "b:1"));
        assertNotEquals(ab1, a_b1);
        assertEquals("a%3Ab:1", ab1);
        assertEquals("a:b%3A1", a_b1);
        assertEquals("%21pending%2Fx:%251", MonitorRecords.headKey(new ModelVersion("!pending/x", "%1")),
                "no monitor key starts with the processor's prefix or holds a raw slash");
    }

    @Test
    void shouldMoveTheStateOfAnEscapedNameFromItsOldKeyOnceWhenTheOldHeadIsItsOwn() {
        ModelVersion mv = new ModelVersion("a:b", "1");
        InMemoryRecords records = new InMemoryRecords();
        ModelMonitor original = fed(mv, 55);
        InMemoryRecords written = new InMemoryRecords();
        original.save(written);
        // as an earlier build wrote it: under the unescaped key
        written.values.forEach((k, v) -> records.put(k.replace(MonitorRecords.headKey(mv), MonitorRecords.legacyHeadKey(mv)), v));
        assertTrue(records.values.keySet().stream().anyMatch(k -> k.startsWith("a:b:1/reference/")), records.values.keySet().toString());

        assertFalse(MonitorRecords.migrateKeys(records, new ModelVersion("a", "b:1")), "the old head is another model version's");
        assertTrue(MonitorRecords.migrateKeys(records, mv));
        Map<String, byte[]> after = new TreeMap<>(records.values);
        assertEquals(new TreeMap<>(written.values).keySet(), after.keySet(), "every record under the new key, none under the old");
        ModelMonitor restored = ModelMonitor.load(records, mv, SyntheticSamples.SCHEMA, SETTINGS, "cpu").orElseThrow();
        assertEquals(original.samplesSeen(), restored.samplesSeen());
        assertEquals(original.referenceProfile(), restored.referenceProfile());
        assertFalse(MonitorRecords.migrateKeys(records, mv), "moved once");
        assertNull(records.get(MonitorRecords.legacyHeadKey(mv)));
    }

    @Test
    void shouldLeaveAPlainNameAlone() {
        ModelVersion mv = new ModelVersion("m", "1");
        InMemoryRecords records = new InMemoryRecords();
        fed(mv, 10).save(records);
        Map<String, byte[]> before = new TreeMap<>(records.values);
        assertFalse(MonitorRecords.migrateKeys(records, mv));
        assertEquals(before.keySet(), new TreeMap<>(records.values).keySet());
    }

    private static ModelMonitor fed(ModelVersion mv, int n) {
        ModelMonitor monitor = new ModelMonitor(mv, SyntheticSamples.SCHEMA, SETTINGS, "cpu");
        SyntheticSamples samples = new SyntheticSamples(4);
        for (int i = 0; i < n; i++) {
            monitor.accept(samples.next(i), ModelMonitorTest.time(i));
        }
        return monitor;
    }
}
