package io.resalign.streams;

import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
import static org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.resalign.config.Topics;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.metrics.StreamFailureMeters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;

/**
 * Scenario: exceptions escape the stream threads. Each death is replaced and counted, until the
 * configured number of replacements within the window is used up: the next death shuts the client
 * down, so a record that kills every thread cannot crash-loop forever. Replacements older than the
 * window no longer count. A refused access shuts down at once, uncounted: a new thread would be
 * refused the same way.
 */
class StreamThreadFailurePolicyTest {
    private static final Duration WINDOW = Duration.ofMinutes(10);
    private static final StreamsException POISON = new StreamsException(new IllegalStateException("poison record"), new TaskId(0, 1));

    private final AtomicLong now = new AtomicLong(1_800_000_000_000L);
    private final StreamFailureMeters meters = new ResalignMetrics(new SimpleMeterRegistry()).streamFailures();

    @Test
    void shouldReplaceTheThreadUntilTheAllowedReplacementsAreUsedThenShutDownTheClient() {
        StreamThreadFailurePolicy policy = new StreamThreadFailurePolicy(5, WINDOW, meters, now::get);

        List<StreamThreadExceptionResponse> responses = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            responses.add(policy.handle(POISON));
            now.addAndGet(1_000);
        }

        assertEquals(List.of(REPLACE_THREAD, REPLACE_THREAD, REPLACE_THREAD, REPLACE_THREAD, REPLACE_THREAD, SHUTDOWN_CLIENT), responses);
        assertEquals(5, meters.threadReplacements(), "each replacement counted, the shutdown not");
    }

    @Test
    void shouldReplaceAgainWhenEarlierReplacementsHaveLeftTheWindow() {
        StreamThreadFailurePolicy policy = new StreamThreadFailurePolicy(2, WINDOW, meters, now::get);
        assertEquals(REPLACE_THREAD, policy.handle(POISON));
        now.addAndGet(60_000);
        assertEquals(REPLACE_THREAD, policy.handle(POISON));

        // Step 2: the first replacement is exactly a window old: one remains in the window
        now.addAndGet(WINDOW.toMillis() - 60_000);
        assertEquals(REPLACE_THREAD, policy.handle(POISON));
        // ... and now two are within 10 minutes
        now.addAndGet(1_000);
        assertEquals(SHUTDOWN_CLIENT, policy.handle(POISON));
        assertEquals(3, meters.threadReplacements());
    }

    @Test
    void shouldShutDownAtTheFirstDeathWhenNoReplacementIsAllowed() {
        StreamThreadFailurePolicy policy = new StreamThreadFailurePolicy(0, WINDOW, meters, now::get);

        assertEquals(SHUTDOWN_CLIENT, policy.handle(POISON));
        assertEquals(0, meters.threadReplacements());
    }

    @Test
    void shouldShutDownAtOnceWhenTheBrokerRefusesAccess() {
        StreamThreadFailurePolicy policy = new StreamThreadFailurePolicy(5, WINDOW, meters, now::get);
        StreamsException refused = new StreamsException("Error encountered sending record to topic inference-samples.dlq for task 0_1",
                new TopicAuthorizationException(Set.of(Topics.INFERENCE_SAMPLES_DLQ)));

        assertEquals(SHUTDOWN_CLIENT, policy.handle(refused));
        assertEquals(0, meters.threadReplacements(), "nothing replaced");
        assertEquals(REPLACE_THREAD, policy.handle(POISON), "the refusal used none of the replacements");
    }

    @Test
    void shouldRefuseASettingThatCannotWorkWhenCreated() {
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> new StreamThreadFailurePolicy(-1, WINDOW, meters, now::get));
        IllegalArgumentException window = assertThrows(IllegalArgumentException.class,
                () -> new StreamThreadFailurePolicy(5, Duration.ZERO, meters, now::get));

        assertTrue(count.getMessage().contains("resalign.streams.max-thread-replacements=-1"), count.getMessage());
        assertTrue(window.getMessage().contains("resalign.streams.thread-replacement-window-seconds=0"), window.getMessage());
    }
}
