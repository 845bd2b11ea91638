package io.resalign.streams;

import io.resalign.processes.BrokerMain;
import io.resalign.processes.JavaProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The packaged service killed with SIGKILL at a named point of its processing, and a new instance
 * started on an empty state directory (a rescheduled pod), against a Kafka broker that is a process
 * of its own and outlives both. 3,000 demo-mlp samples wait on the samples topic, 100 ms apart in
 * event time; the reference is the first 400, windows are 200 samples every 100. Checked from the
 * outside, on the reports topic: the 25 windows from ordinal 400 to 2,999 each reported (exactly
 * once under {@code exactly_once_v2}; at least once, the same window, under {@code at_least_once}),
 * each holding exactly the samples of its ordinals (its first and last event times), against a
 * reference of the first 400 samples; no valid sample dead-lettered.
 *
 * <p>Crash points ({@code io.resalign.service.CrashPoints}): after the first batch's head is saved
 * and before any commit; mid-batch (analysed, nothing written) at about half the stream; between a
 * reference chunk and the head that names it; between a window's report and the head that counts it.
 */
class CrashRecoveryIT {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} killed at {1}")
    @CsvSource({
            "at_least_once, batch-saved:1",
            "at_least_once, batch-analysed:90",
            "at_least_once, reference-chunk-written:1",
            "at_least_once, window-reported:10",
            "exactly_once_v2, batch-saved:1",
            "exactly_once_v2, batch-analysed:90",
            "exactly_once_v2, reference-chunk-written:1",
            "exactly_once_v2, window-reported:10"})
    void shouldCountEverySampleOnceWhenTheServiceIsKilledAndRestartedOnEmptyState(String guarantee, String crashAt) throws Exception {
        int port = DemoStreamRun.freePort();
        DemoStreamRun run = new DemoStreamRun(dir, "127.0.0.1:" + port);
        try (JavaProcess broker = JavaProcess.startMain("broker", BrokerMain.class, List.of(Integer.toString(port),
                dir.resolve("kafka").toString()), dir.resolve("broker.log"))) {
            broker.awaitOutput("broker ready on", Duration.ofSeconds(60));
            run.createTopics();
            run.produce(0, DemoStreamRun.SAMPLES);

            JavaProcess first = run.service("first", guarantee, List.of("-Dio.resalign.crash-at=" + crashAt));
            first.awaitOutput("resalign crash point " + crashAt.replace(':', ' ') + " reached", Duration.ofSeconds(180));
            first.kill();

            try (JavaProcess second = run.service("second", guarantee, List.of())) {
                run.awaitLastWindow(second);
                second.close(); // a clean stop: whatever it still holds is committed
            }
            run.assertReports(guarantee.equals("exactly_once_v2"), guarantee + " " + crashAt);
        }
    }
}
