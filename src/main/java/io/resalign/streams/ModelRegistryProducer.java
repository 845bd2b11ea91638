package io.resalign.streams;

import io.resalign.config.ResalignConfig;
import io.resalign.engine.DeviceChoice;
import io.resalign.engine.EngineOptions;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.ModelRegistry;
import io.resalign.service.ModelStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.jboss.logging.Logger;

/**
 * Loads the models directory once, when the topology is built at startup, and releases every
 * engine at shutdown. A directory that fails to load is logged and exported; the others serve.
 */
@ApplicationScoped
public class ModelRegistryProducer {
    private static final Logger LOG = Logger.getLogger(ModelRegistryProducer.class);

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
                LOG.errorf("Model directory %s not loaded: %s", s.directory(), s.reason());
            }
        }
        metrics.modelsLoaded(registry.deviceLabel(), registry.statuses());
        return registry;
    }

    /**
     * Loads the models directory as the service does under {@code config}: its device, engine
     * options and largest record batch (also what the benchmarks replay through).
     */
    public static ModelRegistry load(ResalignConfig config) throws IOException {
        ResalignConfig.EngineConfig e = config.engine();
        EngineOptions options = EngineOptions.defaults().withK(e.k()).withMatrixFree(e.oversampling(), e.powerSteps());
        return ModelRegistry.load(config.modelsDir(), DeviceChoice.parse(config.device()), options, config.batch().maxRecordSamples());
    }

    void close(@Disposes ModelRegistry registry) {
        registry.close();
    }
}
