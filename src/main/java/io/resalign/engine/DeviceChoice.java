package io.resalign.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/** Says where the engines run: the GPU when PyTorch sees one ({@code auto}), or a fixed choice. */
public enum DeviceChoice {
    /** The first GPU when {@code Engine.getInstance().getGpuCount() > 0}, else the CPU. */
    AUTO,
    /** Always the CPU. */
    CPU,
    /** The first GPU; an error when PyTorch sees none. */
    GPU;

    /** Returns the choice named {@code auto}, {@code cpu} or {@code gpu} (any case). */
    public static DeviceChoice parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("device '" + text + "' is not one of auto, cpu, gpu", e);
        }
    }

    /**
     * Returns the device this choice means on this machine.
     *
     * @throws IllegalStateException when {@code gpu} is asked for and PyTorch sees no GPU
     */
    public Device resolve() {
        if (this == CPU) {
            return Device.cpu();
        }
        int gpus = Engine.getInstance().getGpuCount();
        if (gpus > 0) {
            return Device.gpu();
        }
        if (this == GPU) {
            throw new IllegalStateException("device gpu was requested but PyTorch sees no GPU (use cpu or auto)");
        }
        return Device.cpu();
    }

    /** Returns the short name a report and a metric label use: {@code cpu} or {@code gpu0}. */
    public static String label(Device device) {
        return device.isGpu() ? "gpu" + device.getDeviceId() : "cpu";
    }
}
