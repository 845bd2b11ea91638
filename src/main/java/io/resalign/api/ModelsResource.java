package io.resalign.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.resalign.config.ResalignConfig;
import io.resalign.drift.ModelVersion;
import io.resalign.service.AlignmentReport;
import io.resalign.service.ModelRegistry;
import io.resalign.service.ModelStatus;
import io.resalign.service.MonitorGauges;
import io.resalign.streams.MonitorBoard;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/**
 * Serves the small operator API: the model versions and their state, the last report of one, and
 * the reference commands. Reads come from what the stream tasks of this instance publish, so an
 * instance answers for the monitors its tasks hold, not for those held elsewhere; commands travel through
 * the {@link MonitorBoard} to the task that holds the monitor (applied in its punctuator, so the
 * monitor stays single-threaded and the change goes to the store's changelog). Methods block a
 * worker thread (they are not on the event loop: quarkus-rest runs blocking signatures on workers).
 */
@Path("/api/models")
@Produces(MediaType.APPLICATION_JSON)
public class ModelsResource {
    private static final Logger LOG = Logger.getLogger(ModelsResource.class);

    @Inject
    ModelRegistry registry;

    @Inject
    ResalignConfig config;

    @Inject
    MonitorBoard board;

    /** What the list says about one model version. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ModelView(String model, String version, String state, String device, long loadMillis, String reason,
            String directory, int attempts, String nextAttempt, ReferenceView reference) {}

    /** The monitor's reference, as this instance last saw it; null when no task here holds the monitor yet. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ReferenceView(boolean collecting, int samples, Double ageSeconds, long samplesSeen, long windowsTested,
            long alarms, Integer lastDecision, long outputAlarms, Integer lastOutputDecision) {}

    @GET
    public List<ModelView> models() {
        return registry.statuses().stream().map(this::view).toList();
    }

    private ModelView view(ModelStatus s) {
        ReferenceView ref = s.version().equals(ModelStatus.UNKNOWN_VERSION) ? null
                : board.values(new ModelVersion(s.model(), s.version())).map(ModelsResource::reference).orElse(null);
        return new ModelView(s.model(), s.version(), s.state().name().toLowerCase(java.util.Locale.ROOT), s.device(), s.loadMillis(),
                s.reason(), s.directory().toString(), s.attempts(), s.nextAttempt().map(Object::toString).orElse(null), ref);
    }

    private static ReferenceView reference(MonitorGauges g) {
        return new ReferenceView(g.referenceCollecting(), g.referenceSamples(),
                Double.isFinite(g.referenceAgeSeconds()) ? g.referenceAgeSeconds() : null, g.samplesSeen(), g.windowsTested(), g.alarms(),
                g.windowsTested() > 0 ? g.decision() : null, g.outputAlarms(), g.windowsTested() > 0 ? g.outputDecision() : null);
    }

    @GET
    @Path("/{model}/{version}/report")
    public Response report(@PathParam("model") String model, @PathParam("version") String version) {
        ModelVersion mv = new ModelVersion(model, version);
        return board.latest(mv).map(r -> Response.ok(r.toJson()).build())
                .orElseGet(() -> error(Response.Status.NOT_FOUND, "no report yet for " + model + ":" + version
                        + (registry.isLoaded(mv) ? " on this instance (no stream task here holds its monitor, or no window has closed since one took it)"
                                : " (not a loaded model version)")));
    }

    @POST
    @Path("/{model}/{version}/reference/reset")
    public Response reset(@PathParam("model") String model, @PathParam("version") String version) {
        return command(new ModelVersion(model, version), MonitorBoard.Command.RESET_REFERENCE);
    }

    @POST
    @Path("/{model}/{version}/reference/pin")
    public Response pin(@PathParam("model") String model, @PathParam("version") String version) {
        return command(new ModelVersion(model, version), MonitorBoard.Command.PIN_LAST_WINDOW);
    }

    private Response command(ModelVersion mv, MonitorBoard.Command command) {
        String name = mv.model() + ":" + mv.version();
        if (!registry.isLoaded(mv)) {
            return error(Response.Status.NOT_FOUND, name + " is not a loaded model version");
        }
        Duration timeout = Duration.ofMillis(config.api().commandTimeoutMs());
        MonitorBoard.Sent sent = board.send(mv, command, timeout);
        MonitorBoard.Outcome outcome;
        try {
            outcome = await(sent, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return sent.withdraw() ? error(Response.Status.SERVICE_UNAVAILABLE, "interrupted; the command was withdrawn, not applied")
                    : accepted("interrupted while a stream task applies the command; its outcome is logged");
        } catch (ExecutionException e) {
            return error(Response.Status.INTERNAL_SERVER_ERROR, "the command failed in the stream task: " + e.getCause());
        }
        if (outcome == null) {
            return accepted("a stream task took the command within " + timeout.toMillis()
                    + " ms but has not finished applying it after twice that; its outcome is logged");
        }
        return switch (outcome) {
            case APPLIED -> Response.ok(Map.of("model", mv.model(), "version", mv.version(), "command",
                    command.name().toLowerCase(java.util.Locale.ROOT), "applied", true)).build();
            case NOT_APPLIED -> error(Response.Status.CONFLICT, command == MonitorBoard.Command.PIN_LAST_WINDOW
                    ? "no window of " + name + " has closed since the last reference change on this instance"
                    : "no stream task of this instance holds the monitor of " + name + " yet (no sample seen)");
            case EXPIRED -> {
                LOG.infof("Command %s on %s not taken by a stream task within %d ms: withdrawn, answered 503 (not applied)", command,
                        name, timeout.toMillis());
                yield error(Response.Status.SERVICE_UNAVAILABLE, "the stream tasks did not take the command within "
                        + timeout.toMillis() + " ms; it was withdrawn and will not be applied. Is Kafka Streams running?");
            }
        };
    }

    /**
     * Waits for the command's outcome: {@link MonitorBoard.Outcome#EXPIRED} when no task took it in
     * time (then it is withdrawn); when a task took it just in time, up to another {@code timeout}
     * for that task to finish, and null if it has not.
     */
    private static MonitorBoard.Outcome await(MonitorBoard.Sent sent, Duration timeout) throws InterruptedException, ExecutionException {
        try {
            return sent.outcome().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            if (sent.withdraw()) {
                return MonitorBoard.Outcome.EXPIRED;
            }
        }
        try {
            return sent.outcome().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return null;
        }
    }

    /** Answers 202: a task is applying the command, and whether it changes anything is not known yet. */
    private static Response accepted(String message) {
        return Response.status(Response.Status.ACCEPTED).entity(Map.of("message", message)).build();
    }

    private static Response error(Response.Status status, String message) {
        return Response.status(status).entity(Map.of("error", message)).build();
    }
}
