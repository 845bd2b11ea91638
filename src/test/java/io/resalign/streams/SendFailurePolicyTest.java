package io.resalign.streams;

import static org.apache.kafka.streams.errors.ProductionExceptionHandler.ProductionExceptionHandlerResponse.CONTINUE;
import static org.apache.kafka.streams.errors.ProductionExceptionHandler.ProductionExceptionHandlerResponse.FAIL;
import static org.apache.kafka.streams.errors.ProductionExceptionHandler.ProductionExceptionHandlerResponse.RETRY;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.config.Topics;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.metrics.StreamFailureMeters;
import io.resalign.metrics.StreamFailureMeters.DeadLetterSendFailure;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownServerException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;

/**
 * Scenario: sends fail after the processor forwarded a record. A dead letter too large for the
 * broker is skipped and counted (failing would replay the record into the same failure forever); a
 * refused access fails; a report or changelog record is never skipped; the rest is Kafka's default.
 */
class SendFailurePolicyTest {
    private static final ErrorHandlerContext SOURCE = new Source("inference-samples", 2, 41L);

    private final ResalignMetrics metrics = new ResalignMetrics(new SimpleMeterRegistry());
    private final StreamFailureMeters meters = metrics.streamFailures();
    private final SendFailurePolicy policy = new SendFailurePolicy(meters);

    @Test
    void shouldContinueAndCountWhenADeadLetterIsTooLargeForTheBroker() {
        assertEquals(CONTINUE, policy.handle(SOURCE, record(Topics.INFERENCE_SAMPLES_DLQ), new RecordTooLargeException("1.2 MB")));

        assertEquals(1, meters.deadLetterSendFailures(DeadLetterSendFailure.RECORD_TOO_LARGE));
        assertEquals(0, meters.deadLetterSendFailures(DeadLetterSendFailure.OTHER));
    }

    @Test
    void shouldFailWhenAReportOrAChangelogRecordIsTooLarge() {
        assertEquals(FAIL, policy.handle(SOURCE, record(Topics.ALIGNMENT_REPORTS), new RecordTooLargeException("report")));
        assertEquals(FAIL, policy.handle(SOURCE, record("resalign-model-monitors-changelog"), new RecordTooLargeException("head")));

        assertEquals(0, meters.deadLetterSendFailures(DeadLetterSendFailure.RECORD_TOO_LARGE), "not dead letters");
    }

    @Test
    void shouldFailWhenWritingTheDeadLetterTopicIsRefused() {
        assertEquals(FAIL, policy.handle(SOURCE, record(Topics.INFERENCE_SAMPLES_DLQ),
                new TopicAuthorizationException(Set.of(Topics.INFERENCE_SAMPLES_DLQ))));

        assertEquals(1, meters.deadLetterSendFailures(DeadLetterSendFailure.OTHER));
    }

    @Test
    void shouldRetryARetriableErrorAndFailTheRestAsKafkasDefaultDoes() {
        assertEquals(RETRY, policy.handle(SOURCE, record(Topics.INFERENCE_SAMPLES_DLQ), new NotEnoughReplicasException("isr 1")));
        assertEquals(FAIL, policy.handle(SOURCE, record(Topics.INFERENCE_SAMPLES_DLQ), new UnknownServerException("?")));
        assertEquals(RETRY, policy.handle(null, record(Topics.ALIGNMENT_REPORTS), new NotEnoughReplicasException("isr 1")));

        assertEquals(2, meters.deadLetterSendFailures(DeadLetterSendFailure.OTHER), "the two dead letters");
    }

    @Test
    void shouldCountIntoTheMetersTheStreamsPropertiesCarryWhenConfiguredByKafka() {
        SendFailurePolicy configured = new SendFailurePolicy();
        configured.configure(Map.of(SendFailurePolicy.METRICS_CONFIG, metrics));

        assertEquals(CONTINUE, configured.handle(SOURCE, record(Topics.INFERENCE_SAMPLES_DLQ), new RecordTooLargeException("big")));
        assertEquals(1, meters.deadLetterSendFailures(DeadLetterSendFailure.RECORD_TOO_LARGE));
    }

    private static ProducerRecord<byte[], byte[]> record(String topic) {
        return new ProducerRecord<>(topic, new byte[] {1}, new byte[2 << 20]);
    }

    /** The error context of a record read from {@code topic}. */
    private record Source(String topic, int partition, long offset) implements ErrorHandlerContext {
        @Override
        public Headers headers() {
            return new RecordHeaders();
        }

        @Override
        public String processorNodeId() {
            return TopologyProducer.DLQ_SINK;
        }

        @Override
        public TaskId taskId() {
            return new TaskId(0, partition);
        }

        @Override
        public long timestamp() {
            return 0;
        }

        @Override
        public byte[] sourceRawKey() {
            return null;
        }

        @Override
        public byte[] sourceRawValue() {
            return null;
        }
    }
}
