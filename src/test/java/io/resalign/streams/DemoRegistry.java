package io.resalign.streams;

import io.resalign.engine.DeviceChoice;
import io.resalign.engine.EngineOptions;
import io.resalign.service.ModelRegistry;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The bundled demo models on the CPU for one test class: loaded before its first test, closed after
 * its last. Register it as {@code @RegisterExtension static final DemoRegistry DEMO = new DemoRegistry();}.
 */
final class DemoRegistry implements BeforeAllCallback, AfterAllCallback {
    private ModelRegistry registry;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        registry = ModelRegistry.load(DemoRecords.MODELS, DeviceChoice.CPU, EngineOptions.defaults());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }

    /** Returns the loaded registry; only between the class's first and last test. */
    ModelRegistry get() {
        if (registry == null) {
            throw new IllegalStateException("the demo registry is loaded for the tests of a class only");
        }
        return registry;
    }
}
