package io.resalign.service;

import java.time.Duration;
import java.util.Objects;

/**
 * Says when a model directory that failed to load is tried again: {@code first} after the first
 * failure, doubling after each further one, never more than {@code max} apart. The service's default,
 * 10 s doubling to 10 min, retries a directory whose weights are still being copied within seconds,
 * and one that stays broken (a bad manifest the operator has yet to fix, a tensor of the wrong shape)
 * about six times an hour, each a read of its manifest and weights.
 *
 * @param first the wait after the first failed attempt
 * @param max the longest wait between two attempts
 */
public record LoadBackoff(Duration first, Duration max) {
    /** 10 s, doubling to 10 min. */
    public static final LoadBackoff DEFAULT = new LoadBackoff(Duration.ofSeconds(10), Duration.ofMinutes(10));

    /** Checks that both waits are positive and the first is not over the longest. */
    public LoadBackoff {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(max, "max");
        if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("model load back-off must have 0 < first <= max, was first " + first + ", max " + max);
        }
    }

    /** Returns the wait after {@code failures} failed attempts in a row: first x 2^(failures - 1), at most max. */
    public Duration delayAfter(int failures) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures must be at least 1, was " + failures);
        }
        Duration delay = first;
        for (int i = 1; i < failures && delay.compareTo(max) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(max) < 0 ? delay : max;
    }
}
