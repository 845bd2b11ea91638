package io.resalign.service;

/**
 * Admits at most {@code rate} samples per second on average, with bursts of up to one second's
 * worth (at least one sample). The clock is the caller's: every call passes the current time.
 */
final class TokenBucket {
    private final double rate;
    private final double capacity;
    private double tokens;
    private long lastMillis;
    private boolean started;

    /** Creates a bucket of {@code rate} samples per second; 0 admits everything. */
    TokenBucket(double rate) {
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate limit must be a finite number of samples per second >= 0, was " + rate);
        }
        this.rate = rate;
        this.capacity = Math.max(1, rate);
    }

    /** Takes one token at {@code nowMillis}; false when the bucket is empty. */
    boolean tryTake(long nowMillis) {
        if (rate == 0) {
            return true;
        }
        if (!started) {
            started = true;
            tokens = capacity;
            lastMillis = nowMillis;
        } else if (nowMillis > lastMillis) {
            // a clock that steps back refills nothing rather than draining the bucket
            tokens = Math.min(capacity, tokens + (nowMillis - lastMillis) * rate / 1000.0);
            lastMillis = nowMillis;
        }
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }
}
