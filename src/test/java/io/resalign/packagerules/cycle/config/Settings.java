package io.resalign.packagerules.cycle.config;

import io.resalign.packagerules.cycle.streams.Wiring;

/** Breaks two package rules on purpose for PackageRulesTest: config importing another package, closing a cycle. */
public final class Settings {
    /** Returns the wiring's name, so that this class depends on it. */
    public static String wiring() {
        return Wiring.class.getSimpleName();
    }

    private Settings() {
    }
}
