package io.resalign.packagerules.constant.config;

/** Names another package's constant, the cycle the class files cannot show (PackageRulesTest). */
public final class Defaults {
    /** A copy of the schedule's default, made by the compiler: the class file keeps no reference to demo. */
    public static final String SCHEDULE = io.resalign.packagerules.constant.demo.Schedule.DEFAULT;

    private Defaults() {
    }
}
