package io.resalign.streams.record;

import io.resalign.sample.RejectReason;

/** Signals, inside the decoder, that the record is rejected; never escapes {@link SampleDecoder}. */
final class RejectedException extends Exception {
    private final RejectReason reason;

    RejectedException(RejectReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    Decoded.Rejection toRejection() {
        return new Decoded.Rejection(reason, getMessage());
    }

    RejectReason reason() {
        return reason;
    }
}
