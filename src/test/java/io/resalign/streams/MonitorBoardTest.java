package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.ModelVersion;
import io.resalign.service.AlignmentReport;
import io.resalign.service.MonitorGauges;
import io.resalign.testing.LogCapture;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/**
 * The command path between the REST threads and the stream tasks, without Kafka (time is a clock the
 * test moves), and what the board serves of a monitor while a task of this instance holds it.
 */
class MonitorBoardTest {
    private static final ModelVersion DEMO = new ModelVersion("demo-mlp", "1");
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** A clock that stands still until the test moves it. */
    static final class TestClock extends Clock {
        private Instant now = Instant.parse("2026-11-27T10:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    private final TestClock clock = new TestClock();
    private final MonitorBoard board = new MonitorBoard(clock);

    /** Returns the outcome if it is decided (drains run on the test thread, so it is, or the fix is missing). */
    private static MonitorBoard.Outcome now(MonitorBoard.Sent sent) {
        return sent.outcome().getNow(null);
    }

    @Test
    void shouldAnswerNotAppliedAtOnceWhenNoTaskRuns() {
        var result = new MonitorBoard().send(DEMO, MonitorBoard.Command.RESET_REFERENCE);
        assertEquals(false, result.getNow(null));
    }

    @Test
    void shouldCompleteAppliedAsSoonAsTheTaskHoldingTheMonitorAppliedIt() {
        MonitorBoard.Inbox holder = board.open();
        MonitorBoard.Inbox other = board.open();
        var sent = board.send(DEMO, MonitorBoard.Command.PIN_LAST_WINDOW, TIMEOUT);
        List<MonitorBoard.Command> seen = new ArrayList<>();
        holder.drain((mv, c) -> seen.add(c));
        assertEquals(MonitorBoard.Outcome.APPLIED, now(sent), "no wait for a task that does not hold it");
        assertFalse(sent.withdraw(), "applied: too late to withdraw");
        other.drain((mv, c) -> false);
        assertEquals(MonitorBoard.Outcome.APPLIED, now(sent));
        assertEquals(List.of(MonitorBoard.Command.PIN_LAST_WINDOW), seen);
    }

    @Test
    void shouldCompleteNotAppliedWhenEveryTaskHandledTheCommandAndNoneHeldTheMonitor() {
        MonitorBoard.Inbox one = board.open();
        MonitorBoard.Inbox two = board.open();
        var sent = board.send(DEMO, MonitorBoard.Command.RESET_REFERENCE, TIMEOUT);
        one.drain((mv, c) -> false);
        assertFalse(sent.outcome().isDone(), "one task has not handled it yet");
        two.drain((mv, c) -> false);
        assertEquals(MonitorBoard.Outcome.NOT_APPLIED, now(sent));
    }

    @Test
    void shouldCompleteNotAppliedWhenTheOnlyTaskClosesBeforeHandlingIt() {
        MonitorBoard.Inbox inbox = board.open();
        var result = board.send(DEMO, MonitorBoard.Command.RESET_REFERENCE);
        board.close(inbox);
        assertEquals(false, result.getNow(null));
    }

    @Test
    void shouldDropACommandPastItsDeadlineAndLogHowLateWhenTheTaskTakesItLate() {
        MonitorBoard.Inbox inbox = board.open();
        var sent = board.send(DEMO, MonitorBoard.Command.RESET_REFERENCE, TIMEOUT);
        clock.advance(Duration.ofMillis(12_500)); // the stream thread was busy for 12.5 s
        List<MonitorBoard.Command> applied = new ArrayList<>();
        try (LogCapture log = LogCapture.of(MonitorBoard.class)) {
            inbox.drain((mv, c) -> applied.add(c));
            assertEquals(List.of(), applied, "an expired command is never applied");
            assertEquals(MonitorBoard.Outcome.EXPIRED, now(sent));
            assertEquals(1, log.find(Level.INFO, "Command RESET_REFERENCE on demo-mlp:1 dropped, not applied: its deadline passed"
                    + " 2500 ms ago (it had 10000 ms to be taken").size(), log.lines().toString());
        }
        assertTrue(sent.withdraw(), "withdrawn by the task");
    }

    @Test
    void shouldApplyACommandTakenBeforeItsDeadline() {
        MonitorBoard.Inbox inbox = board.open();
        var sent = board.send(DEMO, MonitorBoard.Command.RESET_REFERENCE, TIMEOUT);
        clock.advance(TIMEOUT); // at the deadline, not past it
        inbox.drain((mv, c) -> true);
        assertEquals(MonitorBoard.Outcome.APPLIED, now(sent));
    }

    @Test
    void shouldNeverApplyACommandItsSenderWithdrewWhenATaskDrainsItLater() {
        MonitorBoard.Inbox inbox = board.open();
        var sent = board.send(DEMO, MonitorBoard.Command.PIN_LAST_WINDOW, TIMEOUT);
        assertTrue(sent.withdraw(), "no task took it yet");
        List<MonitorBoard.Command> applied = new ArrayList<>();
        inbox.drain((mv, c) -> applied.add(c));
        assertEquals(List.of(), applied);
        assertEquals(MonitorBoard.Outcome.EXPIRED, now(sent));
    }

    @Test
    void shouldRefuseAWithdrawalWhileATaskIsApplyingTheCommand() {
        MonitorBoard.Inbox inbox = board.open();
        var sent = board.send(DEMO, MonitorBoard.Command.PIN_LAST_WINDOW, TIMEOUT);
        List<Boolean> withdrawn = new ArrayList<>();
        inbox.drain((mv, c) -> {
            withdrawn.add(sent.withdraw()); // the REST caller gives up while the task applies it
            return true;
        });
        assertEquals(List.of(false), withdrawn);
        assertEquals(MonitorBoard.Outcome.APPLIED, now(sent));
    }

    @Test
    void shouldLetTheSenderWithdrawACommandThatATaskHandledWithoutChangingAnything() {
        MonitorBoard.Inbox holder = board.open();
        board.open(); // a task that has not drained yet
        var sent = board.send(DEMO, MonitorBoard.Command.PIN_LAST_WINDOW, TIMEOUT);
        holder.drain((mv, c) -> false);
        assertTrue(sent.withdraw(), "nothing was changed: the command can still be withdrawn");
    }

    @Test
    void shouldLogTheFailureAndFailTheOutcomeWhenTheCommandThrowsInTheTask() {
        MonitorBoard.Inbox inbox = board.open();
        board.open(); // another task, not drained: a failure does not wait for it
        var sent = board.send(DEMO, MonitorBoard.Command.PIN_LAST_WINDOW, TIMEOUT);
        IllegalStateException failure = new IllegalStateException("the state store is closed");
        try (LogCapture log = LogCapture.of(MonitorBoard.class)) {
            inbox.drain((mv, c) -> {
                throw failure;
            });
            assertSame(failure, sent.outcome().handle((o, e) -> e).getNow(null), "the outcome fails with the task's exception");
            List<LogCapture.Line> warned = log.find(Level.WARNING, "Command PIN_LAST_WINDOW on demo-mlp:1 failed in its stream task:"
                    + " java.lang.IllegalStateException: the state store is closed");
            assertEquals(1, warned.size(), log.lines().toString());
            assertSame(failure, warned.get(0).thrown(), "the exception is logged with its stack");
        }
    }

    @Test
    void shouldRethrowAKafkaExceptionToTheStreamThreadAndFailTheOutcomeWhenTheCommandsSaveFails() {
        MonitorBoard.Inbox inbox = board.open();
        var sent = board.send(DEMO, MonitorBoard.Command.RESET_REFERENCE, TIMEOUT);
        org.apache.kafka.common.KafkaException failure = new org.apache.kafka.common.KafkaException("the changelog send failed");
        org.apache.kafka.common.KafkaException thrown = org.junit.jupiter.api.Assertions.assertThrows(
                org.apache.kafka.common.KafkaException.class, () -> inbox.drain((mv, c) -> {
                    throw failure;
                }), "not swallowed: the uncaught-exception and send policies decide (docs/kafka.md, \"Failures\")");
        assertSame(failure, thrown);
        assertSame(failure, sent.outcome().handle((o, e) -> e).getNow(null), "the REST caller hears of it too");
    }

    /** A report of {@code mv} whose window ends at {@code end}. */
    private static AlignmentReport report(ModelVersion mv, long end) {
        return new AlignmentReport(1, mv.model(), mv.version(), new AlignmentReport.Window(0, end, 0, 1, 2, 2, 2), List.of(),
                new AlignmentReport.Reference("first_samples", 0, 10, 1.0),
                new AlignmentReport.Drift(1.0, 2.0, 0.5, 0, 0.001, "max_abs", 3, List.of(), List.of()), "cpu", null, null);
    }

    /** A monitor of {@code mv} with {@code windows} windows tested. */
    private static MonitorGauges values(ModelVersion mv, long windows) {
        return new MonitorGauges(mv.model(), mv.version(), Map.of(), Map.of(), 1.0, 2.0, 0, 60.0, false, 10, 100, windows, 0,
                Double.NaN, Double.NaN, 0, 0);
    }

    @Test
    void shouldServeNoReportNorValuesOfAModelVersionOnceTheTaskHoldingItsMonitorMovedAway() {
        ModelVersion other = new ModelVersion("demo-mlp", "2");
        board.publish(report(DEMO, 1_000));
        board.publish(values(DEMO, 3));
        board.publish(report(other, 2_000));
        board.publish(values(other, 4));

        board.forget(DEMO); // the task holding the monitor of demo-mlp:1 closed: it moved to another instance

        assertEquals(Optional.empty(), board.latest(DEMO), "its last report is not this instance's to answer any more");
        assertEquals(Optional.empty(), board.values(DEMO));
        assertEquals(2_000, board.latest(other).orElseThrow().window().endTime(), "a monitor still held here is served");
        assertEquals(4, board.values(other).orElseThrow().windowsTested());
        board.forget(DEMO); // twice: nothing more to forget
        assertEquals(Optional.empty(), board.latest(DEMO));
    }

    @Test
    void shouldServeTheNewValuesWhenATaskHereHoldsTheMonitorAgain() {
        board.publish(report(DEMO, 1_000));
        board.publish(values(DEMO, 3));
        board.forget(DEMO);

        board.publish(values(DEMO, 7)); // the monitor came back to a task of this instance, no window closed yet

        assertEquals(7, board.values(DEMO).orElseThrow().windowsTested());
        assertEquals(Optional.empty(), board.latest(DEMO), "the report of the earlier stay is not brought back");
        board.publish(report(DEMO, 5_000));
        assertEquals(5_000, board.latest(DEMO).orElseThrow().window().endTime());
    }
}
