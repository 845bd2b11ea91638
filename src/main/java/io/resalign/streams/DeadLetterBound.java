package io.resalign.streams;

import io.resalign.config.Topics;
import io.resalign.metrics.StreamFailureMeters;
import io.resalign.streams.record.DeadLetters;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.jboss.logging.Logger;

/**
 * Keeps every dead letter within {@code resalign.streams.dlq-max-record-bytes} on its way to the
 * dead-letter sink. The decoder accepts values up to 8 MiB and a dead letter is the original record,
 * but one Kafka request takes 1 MiB by default: sent whole, a large one fails, the stream thread dies
 * and the record is replayed into the same failure. Over the bound, the dead letter goes with a prefix
 * of its value and headers that give the original's size and SHA-256 ({@link DeadLetters#bounded});
 * it is logged and counted ({@code resalign_dlq_truncated_total}).
 */
final class DeadLetterBound implements Processor<Object, byte[], byte[], byte[]> {
    private static final Logger LOG = Logger.getLogger(DeadLetterBound.class);

    private final int maxBytes;
    private final StreamFailureMeters meters;
    private ProcessorContext<byte[], byte[]> context;

    DeadLetterBound(int maxBytes, StreamFailureMeters meters) {
        DeadLetters.requireBound(maxBytes);
        this.maxBytes = maxBytes;
        this.meters = meters;
    }

    @Override
    public void init(ProcessorContext<byte[], byte[]> context) {
        this.context = context;
    }

    @Override
    public void process(Record<Object, byte[]> record) {
        DeadLetters.Letter letter = new DeadLetters.Letter((byte[]) record.key(), record.value(), record.headers());
        DeadLetters.Letter sent = DeadLetters.bounded(letter, maxBytes);
        if (sent.truncated()) {
            meters.deadLetterTruncated();
            String source = DeadLetters.read(sent.headers())
                    .map(i -> i.sourceTopic() + "-" + i.sourcePartition() + "@" + i.sourceOffset() + " (reason " + i.reason() + ")")
                    .orElse("a record");
            LOG.warnf("The dead letter of %s has %d bytes, over resalign.streams.dlq-max-record-bytes=%d: it goes to %s with the "
                    + "first %d bytes of its value and headers %s=true, %s=%s, %s=%s; the whole record stays at its source "
                    + "offset while that topic retains it", source, letter.size(), maxBytes, Topics.INFERENCE_SAMPLES_DLQ,
                    sent.value().length, DeadLetters.TRUNCATED, DeadLetters.ORIGINAL_SIZE, header(sent, DeadLetters.ORIGINAL_SIZE),
                    DeadLetters.ORIGINAL_SHA256, header(sent, DeadLetters.ORIGINAL_SHA256));
        }
        context.forward(new Record<>(sent.key(), sent.value(), record.timestamp(), sent.headers()));
    }

    private static String header(DeadLetters.Letter letter, String key) {
        return new String(letter.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }
}
