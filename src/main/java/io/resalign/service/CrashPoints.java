package io.resalign.service;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named points in the processing of a batch where the crash tests stop the service: with the
 * system property {@code io.resalign.crash-at=NAME:N}, the N-th time the stream thread reaches point
 * NAME it prints {@code resalign crash point NAME N reached} on standard output and stops there,
 * so that the test can kill the process with SIGKILL at exactly that point (CrashRecoveryIT). Without
 * the property (always, in production) {@link #reach} is one volatile read.
 *
 * <p>The points: {@code batch-analysed} (engine and monitor done, nothing written),
 * {@code reference-chunk-written} (a reference chunk is in the store, the head that names it is not),
 * {@code window-reported} (a closed window's report is sent, the head that counts it is not),
 * {@code batch-saved} (the head is written, the batch's pending records are not).
 */
public final class CrashPoints {
    private static final String PROPERTY = "io.resalign.crash-at";
    private static final String TARGET = System.getProperty(PROPERTY);
    private static final ConcurrentHashMap<String, AtomicInteger> COUNTS = new ConcurrentHashMap<>();

    private CrashPoints() {}

    /** Marks that the stream thread is at point {@code name}; stops here when the crash tests asked for this occurrence. */
    public static void reach(String name) {
        if (TARGET == null) {
            return;
        }
        int n = COUNTS.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
        if (TARGET.equals(name + ":" + n)) {
            System.out.println("resalign crash point " + name + " " + n + " reached");
            System.out.flush();
            while (true) {
                try {
                    Thread.sleep(60_000); // until the test's SIGKILL
                } catch (InterruptedException e) {
                    // a crash point does not end on interrupt: only the kill ends it
                }
            }
        }
    }
}
