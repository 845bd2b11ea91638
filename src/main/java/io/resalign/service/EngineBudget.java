package io.resalign.service;

import io.resalign.drift.ModelVersion;
import java.util.HashMap;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Gives the model versions of one replica at most a share of its engine time, so that a model whose
 * samples cost seconds is sampled instead of falling ever further behind its topic: averaged over a
 * minute, the engine works at most {@code share} of the wall-clock time, split evenly among the
 * model versions that had samples in that minute. A sample offered while its model version's
 * account is overdrawn is skipped (and counted by the caller), never delayed.
 *
 * <p>Each active model version has an account of engine seconds that fills at
 * {@code share / active} seconds per wall-clock second up to a minute's worth, and is charged with
 * the engine time its batches really took ({@code engineNanos}, the registry's cumulative engine
 * time per model version, measured inside the engine lock). A sample is admitted while the account
 * is above zero, so an account can go below zero by one batch; it then refills before the next
 * admission. A new account starts full: a slow model's first minute of samples is analysed at once.
 * A fast model (milliseconds per sample) never comes near its account and nothing is skipped.
 *
 * <p>Thread-safe: shared by the stream tasks of a replica. The clock is the caller's (the stream
 * thread's wall clock); a clock that steps back refills nothing. docs/kafka.md, "Engine share".
 */
public final class EngineBudget {
    /** The wall-clock span the share is averaged over, and over which a model version counts as active. */
    public static final long WINDOW_MILLIS = 60_000;

    private final double share;
    private final ToLongFunction<ModelVersion> engineNanos;
    private final Map<ModelVersion, Account> accounts = new HashMap<>();

    private static final class Account {
        double seconds;
        long chargedNanos;
        long refilledMillis;
        long offeredMillis;
    }

    /**
     * Creates a budget.
     *
     * @param share the fraction of wall-clock time the engine may work, in [0, 1]; 0 admits everything
     * @param engineNanos the cumulative engine nanoseconds spent on a model version so far
     */
    public EngineBudget(double share, ToLongFunction<ModelVersion> engineNanos) {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("engine share must be in [0, 1] (0 for no limit), was " + share);
        }
        this.share = share;
        this.engineNanos = engineNanos;
    }

    /** Returns a budget that admits everything. */
    public static EngineBudget unlimited() {
        return new EngineBudget(0, mv -> 0);
    }

    /** Says whether a sample of {@code mv} offered at {@code nowMillis} may go to the engine. */
    public synchronized boolean admit(ModelVersion mv, long nowMillis) {
        if (share == 0) {
            return true;
        }
        double perSecond = share / active(mv, nowMillis);
        double capacity = perSecond * WINDOW_MILLIS / 1000.0;
        Account a = accounts.get(mv);
        if (a == null) {
            a = new Account();
            a.seconds = capacity;
            a.chargedNanos = engineNanos.applyAsLong(mv);
            a.refilledMillis = nowMillis;
            accounts.put(mv, a);
        }
        a.offeredMillis = Math.max(a.offeredMillis, nowMillis);
        long used = engineNanos.applyAsLong(mv);
        a.seconds -= (used - a.chargedNanos) / 1e9;
        a.chargedNanos = used;
        if (nowMillis > a.refilledMillis) {
            a.seconds = Math.min(capacity, a.seconds + (nowMillis - a.refilledMillis) / 1000.0 * perSecond);
            a.refilledMillis = nowMillis;
        }
        return a.seconds > 0;
    }

    /** Returns the number of model versions offered a sample within the window before {@code nowMillis}, {@code mv} included. */
    private int active(ModelVersion mv, long nowMillis) {
        int n = accounts.containsKey(mv) ? 0 : 1;
        for (Account a : accounts.values()) {
            if (nowMillis - a.offeredMillis < WINDOW_MILLIS) {
                n++;
            }
        }
        return Math.max(1, n);
    }
}
