package io.resalign.streams;

import io.resalign.config.Topics;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.metrics.StreamFailureMeters;
import io.resalign.metrics.StreamFailureMeters.DeadLetterSendFailure;
import jakarta.enterprise.inject.spi.CDI;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.jboss.logging.Logger;

/**
 * Decides what a failed send costs (Kafka Streams' {@code production.exception.handler}, set in
 * application.properties; docs/kafka.md, "Failures"):
 *
 * <ul>
 *   <li>a dead letter over the producer's {@code max.request.size} or the dead-letter topic's
 *       {@code max.message.bytes} ({@link RecordTooLargeException}): {@code CONTINUE}, logged and
 *       counted ({@code resalign_dlq_send_failures_total{reason="record_too_large"}}). Failing would kill
 *       the stream thread and replay the record into the same failure; the record stays in the source
 *       topic. {@link DeadLetterBound} keeps dead letters under the bound, so this happens only when the
 *       bound is set above what the producer or the broker takes;</li>
 *   <li>a refused access (an ACL, credentials): {@code FAIL}, with the topic and the missing ACL in the
 *       log. Kafka Streams 4.1 treats these as fatal before it asks this handler, and
 *       {@link StreamThreadFailurePolicy} then logs the same line and stops the client;</li>
 *   <li>anything else, Kafka's default: {@code RETRY} a retriable error (the task restarts from its last
 *       commit), {@code FAIL} the rest (the stream thread dies and {@link StreamThreadFailurePolicy}
 *       decides). A report or a changelog record that cannot be written is never dropped: a dropped
 *       changelog record would leave a restored monitor different from the one that ran. A dead letter
 *       that fails so is counted with {@code reason="other"}.</li>
 * </ul>
 *
 * <p>Kafka creates the handler from its class name, so it finds the service's meters through CDI; a
 * {@code KafkaStreams} started outside Quarkus (the tests) passes its {@link ResalignMetrics} in the
 * Streams properties under {@link #METRICS_CONFIG}.
 */
public final class SendFailurePolicy implements ProductionExceptionHandler {
    /** The Streams property that may carry the {@link ResalignMetrics} instance to count into. */
    public static final String METRICS_CONFIG = "resalign.metrics";

    private static final Logger LOG = Logger.getLogger(SendFailurePolicy.class);

    private StreamFailureMeters meters;

    /** Creates the handler Kafka configures with the Streams properties. */
    public SendFailurePolicy() {
    }

    SendFailurePolicy(StreamFailureMeters meters) {
        this.meters = meters;
    }

    @Override
    public void configure(Map<String, ?> configs) {
        Object given = configs.get(METRICS_CONFIG);
        if (given instanceof ResalignMetrics metrics) {
            meters = metrics.streamFailures();
            return;
        }
        try {
            meters = CDI.current().select(ResalignMetrics.class).get().streamFailures();
        } catch (RuntimeException e) {
            throw new ConfigException(METRICS_CONFIG, given, SendFailurePolicy.class.getName() + " counts failed dead letters in the "
                    + "service's meters: it runs in the service (CDI), or the Streams properties carry a ResalignMetrics under "
                    + METRICS_CONFIG + " (" + e + ")");
        }
    }

    @Override
    public ProductionExceptionHandlerResponse handle(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
            Exception exception) {
        String topic = record.topic();
        boolean deadLetter = Topics.INFERENCE_SAMPLES_DLQ.equals(topic);
        String source = context == null ? "a record" : context.topic() + "-" + context.partition() + "@" + context.offset();
        Optional<String> refused = MissingAcl.describe(exception);
        if (refused.isPresent()) {
            if (deadLetter) {
                meters.deadLetterSendFailed(DeadLetterSendFailure.OTHER);
            }
            LOG.errorf("Sending to %s (for %s) failed because %s; the stream thread stops", topic, source, refused.get());
            return ProductionExceptionHandlerResponse.FAIL;
        }
        if (deadLetter && exception instanceof RecordTooLargeException) {
            meters.deadLetterSendFailed(DeadLetterSendFailure.RECORD_TOO_LARGE);
            LOG.errorf("The dead letter of %s (%d bytes of value) is too large for the producer or the broker and is not written "
                    + "(%s); processing goes on, and the record stays at its source offset while that topic retains it. Keep "
                    + "resalign.streams.dlq-max-record-bytes under the producer's max.request.size and the max.message.bytes of %s",
                    source, record.value() == null ? 0 : record.value().length, exception.getMessage(), topic);
            return ProductionExceptionHandlerResponse.CONTINUE;
        }
        if (deadLetter) {
            meters.deadLetterSendFailed(DeadLetterSendFailure.OTHER);
        }
        return exception instanceof RetriableException ? ProductionExceptionHandlerResponse.RETRY : ProductionExceptionHandlerResponse.FAIL;
    }
}
