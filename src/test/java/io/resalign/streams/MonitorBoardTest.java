package io.resalign.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.resalign.drift.ModelVersion;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command path between the REST threads and the stream tasks, without Kafka. */
class MonitorBoardTest {
    private static final ModelVersion DEMO = new ModelVersion("demo-mlp", "1");

    @Test
    void shouldAnswerNotAppliedAtOnceWhenNoTaskRuns() throws Exception {
        var result = new MonitorBoard().send(DEMO, MonitorBoard.Command.RESET_REFERENCE);
        assertTrue(result.isDone());
        assertFalse(result.get());
    }

    @Test
    void shouldCompleteWhenEveryTaskHasHandledTheCommandAndOneApplied() throws Exception {
        MonitorBoard board = new MonitorBoard();
        MonitorBoard.Inbox holder = board.open();
        MonitorBoard.Inbox other = board.open();
        var result = board.send(DEMO, MonitorBoard.Command.PIN_LAST_WINDOW);
        List<MonitorBoard.Command> seen = new ArrayList<>();
        holder.drain((mv, c) -> seen.add(c));
        assertFalse(result.isDone(), "one task has not handled it yet");
        other.drain((mv, c) -> false);
        assertTrue(result.get());
        assertEquals(List.of(MonitorBoard.Command.PIN_LAST_WINDOW), seen);
    }

    @Test
    void shouldCompleteNotAppliedWhenTheOnlyTaskClosesBeforeHandlingIt() throws Exception {
        MonitorBoard board = new MonitorBoard();
        MonitorBoard.Inbox inbox = board.open();
        var result = board.send(DEMO, MonitorBoard.Command.RESET_REFERENCE);
        board.close(inbox);
        assertTrue(result.isDone());
        assertFalse(result.get());
    }
}
