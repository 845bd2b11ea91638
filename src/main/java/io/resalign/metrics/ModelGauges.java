package io.resalign.metrics;

import static io.resalign.metrics.ResalignMetrics.BLOCK_INFO;
import static io.resalign.metrics.ResalignMetrics.MODEL_CLASSES;
import static io.resalign.metrics.ResalignMetrics.MODEL_LOADED;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.resalign.service.ModelStatus;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exports what the model directories are, from the status of each directory's latest load attempt:
 * {@code resalign_model_loaded} per declared model version, and for a loaded one its classes and one
 * {@code resalign_block_info} per watched block. A directory's status changes when a retry loads it
 * or fails again; when its labels change (a manifest that could not be read names its model version
 * once it can), the old series goes, unless another directory declares that model version too.
 */
final class ModelGauges {
    private final MeterRegistry registry;
    private final Map<Path, ModelStatus> directories = new ConcurrentHashMap<>();

    ModelGauges(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Exports a directory's latest status. */
    synchronized void status(ModelStatus s) {
        ModelStatus before = directories.put(s.directory(), s);
        if (before != null && !sameLabels(before, s) && directories.values().stream().noneMatch(o -> sameLabels(o, before))) {
            Gauge old = registry.find(MODEL_LOADED).tags(loadedTags(before)).gauge();
            if (old != null) {
                registry.remove(old);
            }
        }
        // several directories may declare one model version (the first one found serves): 1 when any of them loaded
        Gauge.builder(MODEL_LOADED, () -> directories.values().stream().anyMatch(o -> o.loaded() && sameLabels(o, s)) ? 1 : 0)
                .description("1 when the model version's engine serves, 0 when loading failed")
                .tags(loadedTags(s)).register(registry);
        if (s.loaded()) {
            int classes = s.classes();
            Gauge.builder(MODEL_CLASSES, () -> classes).description("The model version's number of classes C (RA3: effective ranks stay at or below it)")
                    .tags("model", s.model(), "version", s.version()).register(registry);
            blockInfo(s);
        }
    }

    /**
     * Exports one 1-valued gauge per watched block, labelled with its stage, its kind and its position
     * in the network (zero-padded, so that sorting the label sorts the blocks in forward order): the
     * join that lets a dashboard order 16 or 24 blocks and filter attention from MLP branches.
     */
    private void blockInfo(ModelStatus s) {
        int digits = Integer.toString(Math.max(0, s.blocks().size() - 1)).length();
        for (int i = 0; i < s.blocks().size(); i++) {
            ModelStatus.Block b = s.blocks().get(i);
            String position = String.format(java.util.Locale.ROOT, "%0" + digits + "d", i);
            Gauge.builder(BLOCK_INFO, () -> 1)
                    .description("1 per watched block, labelled with its stage, kind and position in the forward order")
                    .tags("model", s.model(), "version", s.version(), "block", b.name(), "position", position,
                            "stage", b.stage(), "kind", b.kind())
                    .register(registry);
        }
    }

    private static Tags loadedTags(ModelStatus s) {
        return Tags.of("model", s.model(), "version", s.version(), "device", s.device());
    }

    private static boolean sameLabels(ModelStatus a, ModelStatus b) {
        return a.model().equals(b.model()) && a.version().equals(b.version()) && a.device().equals(b.device());
    }
}
