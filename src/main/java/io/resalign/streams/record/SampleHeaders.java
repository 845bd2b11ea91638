package io.resalign.streams.record;

import io.resalign.sample.RejectReason;
import io.resalign.sample.RejectedException;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Names the Kafka headers that sample records use (docs/sample-format.md): the metadata of the
 * binary form, the content type that selects the form, and the CloudEvents headers of KServe's
 * payload logger that the decoder reads as fall-backs.
 */
public final class SampleHeaders {
    /** Model name. */
    public static final String MODEL = "resalign.model";
    /** Model version. */
    public static final String VERSION = "resalign.version";
    /** Request id. */
    public static final String ID = "resalign.id";
    /** Tensor shape, comma-separated, e.g. {@code 1,28,28} or {@code 4,1,28,28}. */
    public static final String SHAPE = "resalign.shape";
    /** Tensor datatype, e.g. {@code FP32}. */
    public static final String DATATYPE = "resalign.datatype";
    /** True class, comma-separated when the record carries a batch. */
    public static final String LABEL = "resalign.label";
    /** Served class index, comma-separated when the record carries a batch. */
    public static final String PREDICTION = "resalign.prediction";
    /** Epoch milliseconds or an RFC 3339 instant. */
    public static final String TIMESTAMP = "resalign.timestamp";
    /** Selects the form: JSON unless it names the binary tensor form. */
    public static final String CONTENT_TYPE = "content-type";
    /** The content type of the binary form. */
    public static final String BINARY_CONTENT_TYPE = "application/x-resalign-tensor";
    /** The content type of the JSON form (also the default). */
    public static final String JSON_CONTENT_TYPE = "application/json";
    /** The content type of a CloudEvent in structured mode, whose {@code data} is the JSON form. */
    public static final String CLOUDEVENT_CONTENT_TYPE = "application/cloudevents+json";
    /** CloudEvents (Kafka binary mode): event id, KServe's request id. */
    public static final String CE_ID = "ce_id";
    /** CloudEvents: event time, RFC 3339. */
    public static final String CE_TIME = "ce_time";
    /** CloudEvents: event type; KServe's logger sends {@code org.kubeflow.serving.inference.request}. */
    public static final String CE_TYPE = "ce_type";
    /** KServe's logger extension: the InferenceService name. */
    public static final String CE_INFERENCE_SERVICE = "ce_inferenceservicename";

    private SampleHeaders() {
    }

    /**
     * Returns the trimmed UTF-8 text of the last header of that name; empty when it is absent
     * or has a null value.
     */
    static Optional<String> text(Headers headers, String name) throws RejectedException {
        if (headers == null) {
            return Optional.empty();
        }
        Header h = headers.lastHeader(name);
        if (h == null || h.value() == null) {
            return Optional.empty();
        }
        String s;
        try {
            s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(h.value()))
                    .toString()
                    .trim();
        } catch (CharacterCodingException e) {
            throw new RejectedException(RejectReason.INVALID_HEADER,
                    "header " + name + " is not valid UTF-8; expected UTF-8 text");
        }
        if (s.isEmpty()) {
            throw new RejectedException(RejectReason.INVALID_HEADER,
                    "header " + name + " is empty; expected a value or no header at all");
        }
        return Optional.of(s);
    }

    /** Returns the header's text, or rejects the record with {@code missing_header}. */
    static String require(Headers headers, String name, String expected) throws RejectedException {
        return text(headers, name).orElseThrow(() -> new RejectedException(RejectReason.MISSING_HEADER,
                "header " + name + " is missing; expected " + expected));
    }
}
