package io.resalign.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.OptionalInt;

import io.resalign.sample.Datatype;

import org.apache.kafka.clients.producer.ProducerRecord;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

/**
 * Builds the demo's sample records in the JSON form of docs/sample-format.md: an Open Inference
 * Protocol (V2) request with {@code model_name}, {@code model_version}, {@code id},
 * {@code timestamp} (RFC 3339), one UINT8 input tensor of shape {@code [1] + input.shape} with flat
 * row-major data, and the {@code label}. The Kafka key is the model name; headers say
 * {@code content-type: application/json} and, for people reading the topic, the drift phase.
 */
public final class DemoRecords {

    /** Header with the drift phase the sample was made in, e.g. {@code noise:sigma=80}; informational only. */
    public static final String PHASE_HEADER = "resalign.demo.phase";
    /** The content type of the JSON form. */
    public static final String CONTENT_TYPE = "application/json";

    private static final JsonFactory JSON = new JsonFactory();

    private DemoRecords() {
    }

    /**
     * Returns the JSON value of one sample, a UINT8 image (the demo's records).
     *
     * @param sampleShape the model's {@code input.shape} (no batch axis); the tensor gets {@code [1] + sampleShape}
     * @param pixels {@code prod(sampleShape)} values, rounded and clipped to 0..255
     */
    public static byte[] json(String model, String version, String id, Instant timestamp, long[] sampleShape,
            float[] pixels, OptionalInt label) {
        return json(model, version, id, timestamp, sampleShape, Datatype.UINT8, pixels, label);
    }

    /**
     * Returns the JSON value of one sample whose tensor has the given datatype: {@link Datatype#UINT8}
     * values are rounded and clipped to 0..255 ({@link ImageTransforms#toUint8}), {@link Datatype#FP32}
     * values are written as they are.
     *
     * @throws IllegalArgumentException for a datatype other than UINT8 and FP32
     */
    public static byte[] json(String model, String version, String id, Instant timestamp, long[] sampleShape, Datatype datatype,
            float[] values, OptionalInt label) {
        if (datatype != Datatype.UINT8 && datatype != Datatype.FP32) {
            throw new IllegalArgumentException("sample records are written as UINT8 or FP32, not " + datatype);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(values.length * (datatype == Datatype.FP32 ? 12 : 4) + 256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("model_name", model);
            g.writeStringField("model_version", version);
            g.writeStringField("id", id);
            g.writeStringField("timestamp", timestamp.toString());
            g.writeArrayFieldStart("inputs");
            g.writeStartObject();
            g.writeStringField("name", "input-0");
            g.writeArrayFieldStart("shape");
            g.writeNumber(1);
            for (long d : sampleShape) {
                g.writeNumber(d);
            }
            g.writeEndArray();
            g.writeStringField("datatype", datatype.name());
            g.writeArrayFieldStart("data");
            for (float v : values) {
                if (datatype == Datatype.UINT8) {
                    g.writeNumber(ImageTransforms.toUint8(v));
                } else {
                    g.writeNumber(v);
                }
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndArray();
            if (label.isPresent()) {
                g.writeNumberField("label", label.getAsInt());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Wraps a JSON value into a Kafka record keyed by the model name, with the content type and phase headers. */
    public static ProducerRecord<String, byte[]> record(String topic, String model, String phase, byte[] json) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, model, json);
        record.headers().add("content-type", CONTENT_TYPE.getBytes(StandardCharsets.UTF_8));
        record.headers().add(PHASE_HEADER, phase.getBytes(StandardCharsets.UTF_8));
        return record;
    }
}
