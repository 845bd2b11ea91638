package io.resalign.sample;

import java.util.Objects;

/**
 * Signals that a sample, or a part of it such as a tensor, is refused: carries the
 * {@link RejectReason} and a message that names the field and says what was expected. Refusing
 * bad input is an expected outcome, not a fault, so the exception records no stack trace and
 * costs no more than the message.
 */
public final class RejectedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final RejectReason reason;

    /**
     * Creates a rejection.
     *
     * @param reason why the input is refused
     * @param message which field, what it holds and what was expected
     */
    public RejectedException(RejectReason reason, String message) {
        super(message, null, false, false);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** Returns why the input is refused. */
    public RejectReason reason() {
        return reason;
    }

    /** Shortens user text quoted in a message, so that a huge field cannot make a huge message. */
    public static String shorten(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** Writes a number as users wrote it: integers without a fraction. */
    public static String show(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
