package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.config.Topics;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

/** Names the refused resource and the ACL to grant, wherever the refusal sits in the cause chain. */
class MissingAclTest {

    @Test
    void shouldNameTheTopicAndTheWriteAclWhenADeadLetterSendIsRefused() {
        Throwable failure = new StreamsException("Error encountered sending record to topic inference-samples.dlq",
                new KafkaException(new TopicAuthorizationException(Set.of(Topics.INFERENCE_SAMPLES_DLQ))));

        String line = MissingAcl.describe(failure).orElseThrow();

        assertTrue(line.startsWith("access to topic inference-samples.dlq was refused: missing ACL ALLOW WRITE on "
                + "Topic:inference-samples.dlq"), line);
    }

    @Test
    void shouldAskForReadOnTheInputAndReadAndWriteOnAnInternalTopicWhenBothAreRefused() {
        String line = MissingAcl.describe(new TopicAuthorizationException(Set.of(Topics.INFERENCE_SAMPLES,
                "resalign-model-monitors-changelog"))).orElseThrow();

        assertTrue(line.contains("ALLOW READ on Topic:inference-samples;"), line);
        assertTrue(line.contains("ALLOW READ and WRITE on Topic:resalign-model-monitors-changelog"), line);
    }

    @Test
    void shouldNameTheGroupWhenTheConsumerGroupIsRefused() {
        String line = MissingAcl.describe(new StreamsException(GroupAuthorizationException.forGroupId("resalign"))).orElseThrow();

        assertTrue(line.contains("missing ACL ALLOW READ on Group:resalign"), line);
    }

    @Test
    void shouldPointAtTheCredentialsWhenAuthenticationFails() {
        String line = MissingAcl.describe(new SaslAuthenticationException("Authentication failed: Invalid username or password"))
                .orElseThrow();

        assertTrue(line.contains("did not authenticate") && line.contains("Invalid username or password"), line);
    }

    @Test
    void shouldSayNothingWhenTheFailureIsNotAnAccessError() {
        assertEquals(Optional.empty(), MissingAcl.describe(new StreamsException(new RecordTooLargeException("too large"))));
    }
}
