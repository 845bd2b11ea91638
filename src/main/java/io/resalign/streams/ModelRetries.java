package io.resalign.streams;

import io.resalign.drift.FeatureSchema;
import io.resalign.drift.ModelVersion;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.ModelRegistry;
import io.resalign.service.ModelStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.jboss.logging.Logger;

/**
 * Tries the registry's failed model directories again when their back-off is due, on a daemon
 * thread of its own that looks once a second (looking is a scan of the statuses; a directory is
 * read only when its attempt is due), so a load never holds up a stream thread. Each attempt is
 * logged when it starts and with its outcome, and its status exported; a model version that loads
 * is checked as the topology checks the ones loaded at start before it serves.
 */
final class ModelRetries implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ModelRetries.class);
    private static final Duration LOOK_EVERY = Duration.ofSeconds(1);

    private final ModelRegistry registry;
    private final ResalignMetrics metrics;
    private final BiConsumer<ModelVersion, FeatureSchema> admit;
    private ScheduledExecutorService executor;

    /**
     * Creates the retries of {@code registry}.
     *
     * @param admit checks a model version before it serves; throws {@link IllegalArgumentException} to refuse it
     */
    ModelRetries(ModelRegistry registry, ResalignMetrics metrics, BiConsumer<ModelVersion, FeatureSchema> admit) {
        this.registry = registry;
        this.metrics = metrics;
        this.admit = admit;
    }

    /** Starts looking for due attempts in the background. */
    synchronized void start() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "resalign-model-retry");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(() -> {
            try {
                runDue(System.currentTimeMillis());
            } catch (RuntimeException e) {
                LOG.errorf(e, "Retrying failed model directories failed; trying again in %s", LOOK_EVERY);
            }
        }, LOOK_EVERY.toMillis(), LOOK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Makes every attempt due at {@code nowMillis}, in directory order, and returns the statuses after them. */
    List<ModelStatus> runDue(long nowMillis) {
        List<ModelStatus> after = new ArrayList<>();
        for (Path dir : registry.due(nowMillis)) {
            ModelStatus before = registry.statuses().stream().filter(s -> s.directory().equals(dir)).findFirst().orElseThrow();
            LOG.infof("Retrying model directory %s (attempt %d; attempt %d failed: %s)", dir, before.attempts() + 1, before.attempts(),
                    before.reason());
            ModelStatus s = registry.retry(dir, nowMillis, admit);
            metrics.modelStatus(s);
            if (s.loaded()) {
                LOG.infof("Model %s:%s loaded on %s in %d ms from %s at attempt %d; its samples are analysed from now on", s.model(),
                        s.version(), s.device(), s.loadMillis(), s.directory(), s.attempts());
            } else {
                LOG.warnf("Model directory %s not loaded at attempt %d: %s; next attempt in %d s, at %s", s.directory(), s.attempts(),
                        s.reason(), (s.nextAttemptMillis() - nowMillis) / 1000, Instant.ofEpochMilli(s.nextAttemptMillis()));
            }
            after.add(s);
        }
        return after;
    }

    /** Stops looking; an attempt under way finishes (a model it loads after the registry closed is released). */
    @Override
    public synchronized void close() {
        if (executor == null) {
            return;
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("A model directory retry is still loading after 60 s; closing the registry anyway");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
