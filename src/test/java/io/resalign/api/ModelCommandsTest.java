package io.resalign.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.resalign.streams.MonitorBoard;
import io.resalign.testing.LogCapture;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/**
 * Scenario: an operator resets or pins a reference through the REST API while a stream task is
 * slow or its command fails. The service runs on its embedded broker with no samples sent, so its
 * own tasks hold no monitor; the test opens an inbox of its own on the board, standing for a task
 * whose stream thread is busy (it drains only when the test says) or whose command throws. A
 * command not taken within the (test profile's 1 s) timeout must be answered 503 and never
 * applied afterwards; a command that throws must be answered 500 with the task's message and logged.
 */
@QuarkusTest
@TestProfile(ModelCommandsTest.ShortCommandTimeout.class)
class ModelCommandsTest {

    /** Commands wait 1 s for a task instead of 10 s. */
    public static class ShortCommandTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("resalign.api.command-timeout-ms", "1000");
        }
    }

    @Inject
    MonitorBoard board;

    @TestHTTPResource("/")
    URI root;

    @Test
    void shouldAnswer503AndNeverApplyTheCommandLaterWhenNoTaskTakesItInTime() throws Exception {
        MonitorBoard.Inbox busy = board.open();
        try (LogCapture log = LogCapture.of(MonitorBoard.class)) {
            HttpResponse<String> reset = post("api/models/demo-mlp/1/reference/reset");
            assertEquals(503, reset.statusCode(), reset.body());
            assertTrue(reset.body().contains("did not take the command within 1000 ms; it was withdrawn and will not be applied"),
                    reset.body());

            List<MonitorBoard.Command> applied = new ArrayList<>();
            busy.drain((mv, c) -> applied.add(c)); // the busy stream thread comes back to its inbox
            assertEquals(List.of(), applied, "a command answered 503 is never applied");
            assertEquals(1, log.find(Level.INFO, "Command RESET_REFERENCE on demo-mlp:1 dropped, not applied").size(),
                    log.lines().toString());
        } finally {
            board.close(busy);
        }
    }

    @Test
    void shouldAnswer500WithTheTasksMessageAndLogItWhenTheCommandFails() throws Exception {
        MonitorBoard.Inbox failing = board.open();
        AtomicBoolean thrown = new AtomicBoolean();
        try (LogCapture log = LogCapture.of(MonitorBoard.class)) {
            CompletableFuture<Void> task = CompletableFuture.runAsync(() -> await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(20)).until(() -> {
                        failing.drain((mv, c) -> {
                            thrown.set(true);
                            throw new IllegalStateException("the monitor store is closed");
                        });
                        return thrown.get();
                    }));
            HttpResponse<String> pin = post("api/models/demo-mlp/1/reference/pin");
            task.get();
            assertEquals(500, pin.statusCode(), pin.body());
            assertTrue(pin.body().contains("the command failed in the stream task: java.lang.IllegalStateException: the monitor"
                    + " store is closed"), pin.body());
            assertEquals(1, log.find(Level.WARNING, "Command PIN_LAST_WINDOW on demo-mlp:1 failed in its stream task").size(),
                    log.lines().toString());
        } finally {
            board.close(failing);
        }
    }

    private HttpResponse<String> post(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(root.resolve(path)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }
}
