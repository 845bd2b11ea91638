package io.resalign.packagerules.cycle.streams;

import io.resalign.packagerules.cycle.config.Settings;

/** Depends on config, as streams may, and so closes the fixture's cycle (PackageRulesTest). */
public final class Wiring {
    /** Returns the settings' wiring, so that this class depends on config. */
    public static String settings() {
        return Settings.wiring();
    }

    private Wiring() {
    }
}
