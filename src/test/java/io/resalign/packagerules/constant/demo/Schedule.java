package io.resalign.packagerules.constant.demo;

import io.resalign.packagerules.constant.config.Defaults;

/** Reads config, as demo may, and so closes the fixture's cycle (PackageRulesTest). */
public final class Schedule {
    /** The default schedule. */
    public static final String DEFAULT = "clean*10";

    /** Returns the configured default, so that this class depends on config. */
    public static String configured() {
        return Defaults.class.getSimpleName();
    }

    private Schedule() {
    }
}
