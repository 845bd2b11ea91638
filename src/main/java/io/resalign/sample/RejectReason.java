package io.resalign.sample;

import java.util.Optional;

/**
 * Names why a sample record was sent to the dead-letter topic. Each reason has a stable
 * lower-snake-case {@link #code()}: it is the value of the {@code resalign.dlq.reason} header and
 * of the {@code reason} label of the rejection counter, so codes are never renamed, only added.
 */
public enum RejectReason {
    /** The record has no value, or a value of zero bytes. */
    EMPTY_PAYLOAD("empty_payload"),
    /** The value is larger than the configured maximum number of bytes. */
    PAYLOAD_TOO_LARGE("payload_too_large"),
    /** The {@code content-type} header names neither JSON nor the binary tensor form. */
    UNSUPPORTED_CONTENT_TYPE("unsupported_content_type"),
    /** The value is not syntactically valid JSON (this includes JSON cut short). */
    MALFORMED_JSON("malformed_json"),
    /** A required JSON field is absent or null. */
    MISSING_FIELD("missing_field"),
    /** A JSON field has the wrong kind (a string where an array is expected, a blank id, ...). */
    INVALID_FIELD("invalid_field"),
    /** A header that the binary form requires is absent. */
    MISSING_HEADER("missing_header"),
    /** A header is present but its value cannot be read (not UTF-8, not a number, ...). */
    INVALID_HEADER("invalid_header"),
    /** No model of that name is in the catalog. */
    UNKNOWN_MODEL("unknown_model"),
    /** The model is known but not at that version. */
    UNKNOWN_VERSION("unknown_version"),
    /** The request carries more than one input tensor; watched models take exactly one. */
    MULTIPLE_INPUTS("multiple_inputs"),
    /** The declared shape is not a list of positive integers. */
    INVALID_SHAPE("invalid_shape"),
    /** The declared shape does not fit the model's input shape. */
    SHAPE_MISMATCH("shape_mismatch"),
    /** The datatype is not one of the Open Inference Protocol tensor datatypes. */
    UNSUPPORTED_DATATYPE("unsupported_datatype"),
    /** The datatype is BYTES: strings and encoded images cannot be replayed through the model. */
    BYTES_DATATYPE("bytes_datatype"),
    /** The tensor (shape times batch) has more elements than the model or the service allows. */
    TENSOR_TOO_LARGE("tensor_too_large"),
    /** The number of JSON data values, or the nesting of the data, does not match the shape. */
    DATA_LENGTH_MISMATCH("data_length_mismatch"),
    /** A data value is not a number (a string, null, an object, ...). */
    NON_NUMERIC_VALUE("non_numeric_value"),
    /** A data value is NaN or infinite. */
    NON_FINITE_VALUE("non_finite_value"),
    /** A value with a fractional part in an integer tensor. */
    NON_INTEGER_VALUE("non_integer_value"),
    /** A value outside its datatype's range, or too large for the engine's float32. */
    VALUE_OUT_OF_RANGE("value_out_of_range"),
    /** The binary value has fewer bytes than shape times the datatype's size. */
    TRUNCATED_PAYLOAD("truncated_payload"),
    /** The binary value has more bytes than shape times the datatype's size. */
    TRAILING_BYTES("trailing_bytes"),
    /** The label is not an integer class index of the model. */
    INVALID_LABEL("invalid_label"),
    /** The served prediction is neither a class index of the model nor C finite logits. */
    INVALID_PREDICTION("invalid_prediction"),
    /** The timestamp is neither epoch milliseconds nor an RFC 3339 instant, or is negative. */
    INVALID_TIMESTAMP("invalid_timestamp"),
    /**
     * The {@code resalign.dlq.samples} header (the samples of the record a replayed dead letter
     * stands for) is not a list of the record's sample indices and ranges.
     */
    INVALID_SAMPLE_SELECTION("invalid_sample_selection"),
    /** The decoder failed in a way it does not foresee; the record is kept for inspection. */
    INTERNAL_ERROR("internal_error");

    private final String code;

    RejectReason(String code) {
        this.code = code;
    }

    /** Returns the stable code used in headers and metric labels. */
    public String code() {
        return code;
    }

    /** Returns the reason with the given code, if any. */
    public static Optional<RejectReason> fromCode(String code) {
        for (RejectReason r : values()) {
            if (r.code.equals(code)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return code;
    }
}
