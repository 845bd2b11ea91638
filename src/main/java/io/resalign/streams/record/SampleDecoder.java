package io.resalign.streams.record;

import io.resalign.sample.ModelCatalog;
import io.resalign.sample.RejectReason;
import io.resalign.sample.RejectedException;
import io.resalign.sample.SampleRecord;

import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.apache.kafka.common.header.Headers;

/**
 * Decodes one Kafka record of the samples topic into the samples it carries, or into the reason
 * it goes to the dead-letter topic. Decoding is total: whatever the bytes and headers, the
 * result is a {@link Decoded}, never an exception, so that no record can stop the service. A
 * record is accepted or rejected as a whole (a batch with one bad value is rejected entirely,
 * and the message names the value).
 *
 * <p>The form is chosen by the {@code content-type} header: {@code application/json} or none
 * for JSON, {@code application/cloudevents+json} for a structured CloudEvent whose data is the
 * JSON form, {@code application/x-resalign-tensor} for the binary form.
 *
 * <p>A record with a {@link DeadLetters#SAMPLES} header (a dead letter replayed with its headers)
 * is decoded whole, and the result names the samples the header selects
 * ({@link Decoded#selected()}); a header that does not name samples of the record rejects it.
 */
public final class SampleDecoder {

    /**
     * Bounds what one record may hold, whatever its model allows.
     *
     * @param maxPayloadBytes the largest value, in bytes, that is parsed at all
     * @param maxElements the most tensor values one record may carry
     * @param maxIdLength the longest id
     */
    public record Limits(int maxPayloadBytes, long maxElements, int maxIdLength) {
        /** 8 MiB values, 2^22 tensor values (64 samples of 3x224x224 would not fit; 64 of 1x28x28 do), 256-character ids. */
        public static final Limits DEFAULT = new Limits(8 << 20, 1L << 22, 256);

        /** Checks the bounds. */
        public Limits {
            if (maxPayloadBytes < 1 || maxElements < 1 || maxIdLength < 1) {
                throw new IllegalArgumentException("limits must be positive: " + maxPayloadBytes + ", " + maxElements + ", " + maxIdLength);
            }
        }
    }

    private final ModelCatalog catalog;
    private final Limits limits;
    private final Clock clock;

    /** Creates a decoder with the default limits. */
    public SampleDecoder(ModelCatalog catalog) {
        this(catalog, Limits.DEFAULT, Clock.systemUTC());
    }

    /**
     * Creates a decoder.
     *
     * @param catalog the models records may name
     * @param limits the size bounds
     * @param clock gives the time of a record that has no timestamp anywhere
     */
    public SampleDecoder(ModelCatalog catalog, Limits limits, Clock clock) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Decodes a record.
     *
     * @param topic the source topic (for derived ids)
     * @param partition the source partition
     * @param offset the source offset
     * @param recordTimestamp the Kafka record's timestamp, negative when it has none
     * @param headers the record's headers (may be null)
     * @param value the record's value (may be null)
     * @return the samples, or the rejection
     */
    public Decoded decode(String topic, int partition, long offset, long recordTimestamp, Headers headers, byte[] value) {
        try {
            List<SampleRecord> samples = read(new SampleContext(topic, partition, offset, recordTimestamp, headers, catalog, limits, clock),
                    value);
            return SampleSelection.read(headers, samples.size()).map(selected -> new Decoded.Samples(samples, selected))
                    .orElseGet(() -> new Decoded.Samples(samples));
        } catch (RejectedException e) {
            return new Decoded.Rejection(e.reason(), e.getMessage());
        } catch (RuntimeException | StackOverflowError e) {
            // A decoder bug must cost one record (kept in the dead-letter topic), not the service.
            return new Decoded.Rejection(RejectReason.INTERNAL_ERROR, "the decoder failed on this record ("
                    + e.getClass().getSimpleName() + ": " + RejectedException.shorten(String.valueOf(e.getMessage()))
                    + "); expected a record it can judge: please report it with this record");
        }
    }

    private List<SampleRecord> read(SampleContext ctx, byte[] value) throws RejectedException {
        if (value == null || value.length == 0) {
            throw new RejectedException(RejectReason.EMPTY_PAYLOAD, "the value is " + (value == null ? "null" : "empty")
                    + "; expected a JSON sample or a binary tensor");
        }
        if (value.length > limits.maxPayloadBytes()) {
            throw new RejectedException(RejectReason.PAYLOAD_TOO_LARGE, "the value has " + value.length
                    + " bytes; expected at most " + limits.maxPayloadBytes());
        }
        String contentType = SampleHeaders.text(ctx.headers, SampleHeaders.CONTENT_TYPE).orElse(SampleHeaders.JSON_CONTENT_TYPE);
        String mediaType = contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        switch (mediaType) {
            case SampleHeaders.JSON_CONTENT_TYPE, "text/json":
                return JsonSampleReader.read(value, false, ctx);
            case SampleHeaders.CLOUDEVENT_CONTENT_TYPE:
                return JsonSampleReader.read(value, true, ctx);
            case SampleHeaders.BINARY_CONTENT_TYPE:
                return BinarySampleReader.read(value, ctx);
            default:
                throw new RejectedException(RejectReason.UNSUPPORTED_CONTENT_TYPE, "header " + SampleHeaders.CONTENT_TYPE + " '"
                        + RejectedException.shorten(contentType) + "' is not supported; expected " + SampleHeaders.JSON_CONTENT_TYPE
                        + " (the default), " + SampleHeaders.CLOUDEVENT_CONTENT_TYPE + " or " + SampleHeaders.BINARY_CONTENT_TYPE);
        }
    }
}
