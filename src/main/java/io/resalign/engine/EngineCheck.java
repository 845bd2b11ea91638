package io.resalign.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.util.Utils;
import java.util.Locale;

/**
 * Loads the PyTorch engine once, runs one tiny computation and prints what it found: engine,
 * version, native library cache, GPUs and the device the service would pick.
 *
 * <p>The images run it while they are built (docs/containers.md): loading the engine is what makes
 * DJL unpack (CPU image) or download (CUDA image, {@code PYTORCH_FLAVOR=cu128}) its native libraries
 * into {@code DJL_CACHE_DIR}, so the running container finds them there, read-only, with
 * {@code ai.djl.offline=true} and no network. Run in a container it tells whether PyTorch sees the GPU.
 */
public final class EngineCheck {
    private EngineCheck() {
    }

    /** Prints the engine description; exits 1 when the engine cannot be loaded or computes wrong. */
    public static void main(String[] args) {
        try {
            System.out.println(describe());
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            System.err.println("PyTorch engine check failed (DJL_CACHE_DIR=" + System.getenv("DJL_CACHE_DIR")
                    + ", offline=" + Utils.isOfflineMode() + "): " + e);
            System.exit(1);
        }
    }

    /** Loads the engine, checks 1+2 = 3 on the CPU and describes what it loaded. */
    static String describe() {
        Engine engine = Engine.getInstance();
        float sum;
        // A real computation, so a library that loads but cannot run fails here and not in the service.
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = manager.create(new float[] {1f, 2f});
            sum = a.sum().getFloat();
        }
        if (sum != 3f) {
            throw new IllegalStateException("PyTorch computed 1+2 = " + sum);
        }
        return "engine " + engine.getEngineName() + " " + engine.getVersion() + " (DJL " + Engine.getDjlVersion() + ")"
                + ", natives in " + Utils.getEngineCacheDir(engine.getEngineName().toLowerCase(Locale.ROOT))
                + ", GPUs " + engine.getGpuCount()
                + ", device auto = " + DeviceChoice.label(DeviceChoice.AUTO.resolve());
    }
}
