package io.resalign.streams;

import io.resalign.drift.DriftSettings;
import io.resalign.drift.ModelVersion;
import io.resalign.service.ModelMonitor;
import io.resalign.service.ModelRegistry;
import io.resalign.service.MonitorRecords;
import io.resalign.service.StateRecords;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Holds the {@link ModelMonitor}s of one stream task over its monitor store: a model version's
 * monitor is read back from the store on first use ({@link ModelMonitor#load}; a new one when the
 * store holds none, or one that cannot be used, which is logged), cached, and saved after every
 * change; after a failure it is forgotten, so that the next use reads the stored state again.
 */
final class TaskMonitors {
    private static final Logger LOG = Logger.getLogger(TaskMonitors.class);

    private final StateRecords records;
    private final ModelRegistry registry;
    private final DriftSettings settings;
    private final Map<ModelVersion, ModelMonitor> monitors = new HashMap<>();

    TaskMonitors(StateRecords records, ModelRegistry registry, DriftSettings settings) {
        this.records = records;
        this.registry = registry;
        this.settings = settings;
    }

    /** Returns whether this task holds a monitor of {@code mv}, in memory or in its store. */
    boolean holds(ModelVersion mv) {
        if (monitors.containsKey(mv)) {
            return true;
        }
        migrateKeys(mv);
        return records.get(MonitorRecords.headKey(mv)) != null;
    }

    /** Moves a state an earlier build kept under the unescaped key, before the first read of it. */
    private void migrateKeys(ModelVersion mv) {
        if (MonitorRecords.migrateKeys(records, mv)) {
            LOG.infof("Monitor state of %s moved from the unescaped key of earlier builds to %s", mv, MonitorRecords.headKey(mv));
        }
    }

    /** Returns the monitor of {@code mv}: cached, read back from the store, or new. */
    ModelMonitor get(ModelVersion mv) {
        return monitors.computeIfAbsent(mv, k -> {
            migrateKeys(k);
            try {
                Optional<ModelMonitor> stored = ModelMonitor.load(records, k, registry.schema(k), settings, registry.deviceLabel());
                if (stored.isPresent()) {
                    if (stored.get().migrated()) {
                        LOG.infof("Monitor state of %s is in the single-value form of earlier versions; read once, it is written"
                                + " as bounded records from the next batch on", MonitorRecords.headKey(k));
                    }
                    return stored.get();
                }
            } catch (IllegalArgumentException e) {
                LOG.warnf("Stored monitor state of %s is unusable (%s); starting a new reference", MonitorRecords.headKey(k),
                        e.getMessage());
            }
            return new ModelMonitor(k, registry.schema(k), settings, registry.deviceLabel());
        });
    }

    /** Writes what changed in a monitor to the store. */
    void save(ModelMonitor monitor) {
        monitor.save(records);
    }

    /** Drops the cached monitor of {@code mv} (possibly half-updated): the next use reads the store again. */
    void forget(ModelVersion mv) {
        monitors.remove(mv);
    }

    /** Returns the cached monitors. */
    Collection<ModelMonitor> all() {
        return monitors.values();
    }
}
