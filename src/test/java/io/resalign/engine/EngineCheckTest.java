package io.resalign.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The image build's engine step: it loads PyTorch, computes, and says what it loaded and where. */
class EngineCheckTest {
    @Test
    void shouldDescribeTheLoadedEngineItsNativesAndTheDevice() {
        String description = EngineCheck.describe();
        assertTrue(description.matches("engine PyTorch 2\\.7\\.1 \\(DJL 0\\.36\\.0\\), natives in .+/pytorch, GPUs \\d+, device auto = (cpu|gpu\\d+)"),
                description);
    }
}
