package io.resalign.streams;

import io.resalign.config.ResalignConfig;
import io.resalign.drift.DriftSettings;
import io.resalign.engine.DeviceChoice;
import io.resalign.engine.EngineOptions;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.LoadBackoff;
import io.resalign.service.ModelRegistry;
import io.resalign.service.ModelStatus;
import io.resalign.service.MonitorRecords;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Loads the models directory when the topology is built at startup, tries the directories that
 * failed again with back-off in the background ({@link ModelRetries}), and releases every engine at
 * shutdown. A directory that fails to load is logged and exported; the others serve.
 */
@ApplicationScoped
public class ModelRegistryProducer {
    private static final Logger LOG = Logger.getLogger(ModelRegistryProducer.class);

    private ModelRetries retries;

    @Produces
    @Singleton
    ModelRegistry registry(ResalignConfig config, ResalignMetrics metrics) {
        ModelRegistry registry;
        try {
            registry = load(config);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot read resalign.models-dir " + config.modelsDir().toAbsolutePath() + ": "
                    + ex.getMessage(), ex);
        }
        for (ModelStatus s : registry.statuses()) {
            if (s.loaded()) {
                LOG.infof("Model %s:%s loaded on %s in %d ms from %s", s.model(), s.version(), s.device(), s.loadMillis(), s.directory());
            } else {
                LOG.errorf("Model directory %s not loaded: %s; next attempt at %s", s.directory(), s.reason(),
                        s.nextAttempt().map(Object::toString).orElse("(none)"));
            }
        }
        metrics.modelsLoaded(registry.deviceLabel(), registry.statuses());
        DriftSettings drift = TopologyProducer.driftSettings(config);
        // a model version loaded later gets the check the topology gives the ones loaded at start
        retries = new ModelRetries(registry, metrics, (mv, schema) -> MonitorRecords.requireBounded(mv, schema, drift));
        retries.start();
        return registry;
    }

    /**
     * Loads the models directory as the service does under {@code config}: its device, engine
     * options, largest record batch and retry back-off (also what the benchmarks replay through).
     */
    public static ModelRegistry load(ResalignConfig config) throws IOException {
        ResalignConfig.EngineConfig e = config.engine();
        EngineOptions options = EngineOptions.defaults().withK(e.k()).withMatrixFree(e.oversampling(), e.powerSteps());
        ResalignConfig.ModelRetryConfig r = config.modelRetry();
        LoadBackoff backoff = new LoadBackoff(Duration.ofSeconds(r.firstDelaySeconds()), Duration.ofSeconds(r.maxDelaySeconds()));
        return ModelRegistry.load(config.modelsDir(), DeviceChoice.parse(config.device()), options, config.batch().maxRecordSamples(),
                backoff, System.currentTimeMillis());
    }

    void close(@Disposes ModelRegistry registry) {
        if (retries != null) {
            retries.close();
        }
        registry.close();
    }
}
