package io.resalign.deploy;

import io.resalign.api.HealthProbe;
import io.resalign.deploy.Dockerfile.Instruction;
import io.resalign.deploy.Dockerfile.Stage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What the images promise (docs/containers.md), as checks that each return the problems they found
 * in a {@link Dockerfile}: empty means kept. Separate from the test so that a test can show each
 * check catching a bad Dockerfile.
 */
final class ImageRules {
    /** The directory the natives are unpacked to and the image reads them from. */
    static final String NATIVES_DIR = "/opt/djl";
    /** A tag names an exact version when it has at least major.minor. */
    private static final Pattern EXACT_VERSION = Pattern.compile("\\d+\\.\\d+");
    private static final Pattern NUMERIC_USER = Pattern.compile("(\\d+)(:(\\d+))?");
    /** Tools that fetch from a network or build: none of them belongs in the runtime stage. */
    private static final Pattern DOWNLOADERS = Pattern.compile("\\b(curl|wget|apt-get|apt|pip3?|mvn|mvnw|apk|dnf|yum)\\b");

    private ImageRules() {
    }

    /** Every FROM and every COPY --from of an image names an exact version tag (a digest may follow). */
    static List<String> pinnedImages(Dockerfile file) {
        Set<String> stageNames = file.stages().stream().map(Stage::name).filter(n -> n != null).collect(Collectors.toSet());
        List<String> problems = new ArrayList<>();
        for (Stage stage : file.stages()) {
            if (!stageNames.contains(stage.image())) {
                pinProblem(stage.image()).ifPresent(p -> problems.add("line " + stage.line() + " FROM " + p));
            }
            for (Instruction copy : stage.all("COPY")) {
                String from = copy.flags().get("from");
                if (from != null && !stageNames.contains(from) && !from.matches("\\d+")) {
                    pinProblem(from).ifPresent(p -> problems.add(copy.line() + " COPY --from " + p));
                }
            }
        }
        return problems;
    }

    /** Returns why {@code image} is not pinned, if it is not. */
    static Optional<String> pinProblem(String image) {
        String withoutDigest = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
        int colon = withoutDigest.lastIndexOf(':');
        if (colon < 0 || colon < withoutDigest.lastIndexOf('/')) {
            return Optional.of(image + ": no tag (means latest); expected an exact version tag");
        }
        String tag = withoutDigest.substring(colon + 1);
        if (tag.equals("latest") || !EXACT_VERSION.matcher(tag).find()) {
            return Optional.of(image + ": tag '" + tag + "' is not an exact version (expected e.g. 17.0.15_6-jre-noble)");
        }
        if (image.contains("@") && !image.substring(image.indexOf('@') + 1).matches("sha256:[0-9a-f]{64}")) {
            return Optional.of(image + ": digest is not sha256:<64 hex digits>");
        }
        return Optional.empty();
    }

    /** The image runs as a numeric user other than root (Kubernetes' runAsNonRoot can only verify a number). */
    static List<String> nonRootUser(Dockerfile file) {
        Optional<Instruction> user = file.finalStage().last("USER");
        if (user.isEmpty()) {
            return List.of("final stage: no USER, the container would run as root");
        }
        var m = NUMERIC_USER.matcher(user.get().arguments());
        if (!m.matches()) {
            return List.of(user.get() + ": expected a numeric uid[:gid]");
        }
        return Integer.parseInt(m.group(1)) == 0 ? List.of(user.get() + ": uid 0 is root") : List.of();
    }

    /** EXPOSE names the HTTP port the application listens on. */
    static List<String> exposedPort(Dockerfile file, int port) {
        List<String> exposed = file.finalStage().all("EXPOSE").stream()
                .flatMap(i -> i.words().stream()).map(w -> w.replaceFirst("/tcp$", "")).toList();
        return exposed.contains(Integer.toString(port)) ? List.of()
                : List.of("final stage EXPOSE " + exposed + ": expected the configured quarkus.http.port " + port);
    }

    /** HEALTHCHECK asks the Quarkus liveness or readiness endpoint on the configured port. */
    static List<String> healthCheck(Dockerfile file, int port) {
        Stage stage = file.finalStage();
        Optional<Instruction> check = stage.last("HEALTHCHECK");
        if (check.isEmpty()) {
            return List.of("final stage: no HEALTHCHECK");
        }
        List<String> command = check.get().execForm();
        String url = command.stream().filter(w -> w.startsWith("http")).findFirst().orElse(null);
        if (command.contains(HealthProbe.class.getName()) && url == null) {
            url = HealthProbe.defaultUrl(stage.env().get("QUARKUS_HTTP_PORT"));
        }
        if (url == null) {
            return List.of(check.get() + ": no URL and not " + HealthProbe.class.getName());
        }
        if (!url.matches("http://(127\\.0\\.0\\.1|localhost):" + port + "/q/health/(live|ready)")) {
            return List.of(check.get() + ": asks " + url + ", expected http://127.0.0.1:" + port + "/q/health/live or /ready");
        }
        return List.of();
    }

    /**
     * Nothing is downloaded at run time: the entry point and the environment say offline, the natives
     * directory comes from a stage that ran {@code EngineCheck} into it, the PyTorch flavor the
     * natives were fetched for is the one the runtime asks for, and the runtime stage runs no
     * download or build tool.
     */
    static List<String> offline(Dockerfile file) {
        List<String> problems = new ArrayList<>();
        Stage runtime = file.finalStage();
        Map<String, String> env = runtime.env();
        Optional<Instruction> entry = runtime.last("ENTRYPOINT");
        if (entry.isEmpty() || !entry.get().execForm().contains("-Dai.djl.offline=true")) {
            problems.add("final stage ENTRYPOINT: expected -Dai.djl.offline=true");
        }
        if (!"true".equals(env.get("DJL_OFFLINE"))) {
            problems.add("final stage ENV DJL_OFFLINE=" + env.get("DJL_OFFLINE") + ": expected true (other java commands, e.g. the demo producer)");
        }
        if (!NATIVES_DIR.equals(env.get("DJL_CACHE_DIR"))) {
            problems.add("final stage ENV DJL_CACHE_DIR=" + env.get("DJL_CACHE_DIR") + ": expected " + NATIVES_DIR);
        }
        file.stages().stream().filter(s -> s.env().containsKey("PYTORCH_VERSION"))
                .forEach(s -> problems.add("stage at line " + s.line() + " sets PYTORCH_VERSION, which makes DJL download"));
        Optional<Stage> natives = nativesStage(file);
        if (natives.isEmpty()) {
            problems.add("final stage: no COPY --from=<stage> of " + NATIVES_DIR + " from a stage that runs io.resalign.engine.EngineCheck");
        } else {
            Map<String, String> nativesEnv = natives.get().env();
            if (!NATIVES_DIR.equals(nativesEnv.get("DJL_CACHE_DIR"))) {
                problems.add("stage " + natives.get().name() + ": EngineCheck runs with DJL_CACHE_DIR=" + nativesEnv.get("DJL_CACHE_DIR"));
            }
            String built = nativesEnv.getOrDefault("PYTORCH_FLAVOR", "cpu");
            String used = env.getOrDefault("PYTORCH_FLAVOR", "cpu");
            if (!built.equals(used)) {
                problems.add("natives fetched for PYTORCH_FLAVOR " + built + " but the runtime asks for " + used);
            }
            if (!built.equals("cpu") && file.stages().stream().flatMap(s -> s.all("RUN").stream())
                    .noneMatch(r -> r.arguments().contains("removed-artifacts=ai.djl.pytorch:pytorch-native-cpu"))) {
                problems.add("flavor " + built + ": the build keeps pytorch-native-cpu, so DJL would take the CPU libraries");
            }
        }
        for (Instruction run : runtime.all("RUN")) {
            if (DOWNLOADERS.matcher(run.arguments()).find()) {
                problems.add(run + ": download or build tool in the runtime stage");
            }
        }
        for (Instruction add : runtime.all("ADD")) {
            if (add.arguments().contains("://")) {
                problems.add(add + ": ADD from a URL in the runtime stage");
            }
        }
        return problems;
    }

    private static Optional<Stage> nativesStage(Dockerfile file) {
        for (Instruction copy : file.finalStage().all("COPY")) {
            List<String> words = copy.words();
            String from = copy.flags().get("from");
            if (from == null || words.size() < 2 || !words.get(words.size() - 1).startsWith(NATIVES_DIR)) {
                continue;
            }
            Optional<Stage> source = file.stage(from);
            if (source.isPresent() && source.get().all("RUN").stream()
                    .anyMatch(r -> r.arguments().contains("io.resalign.engine.EngineCheck"))) {
                return source;
            }
        }
        return Optional.empty();
    }

    /** The models are at /models, where the service looks, and /models is a volume. */
    static List<String> modelsVolume(Dockerfile file) {
        Stage runtime = file.finalStage();
        List<String> problems = new ArrayList<>();
        List<String> volumes = runtime.all("VOLUME").stream().flatMap(i -> i.arguments().startsWith("[")
                ? i.execForm().stream() : i.words().stream()).toList();
        if (!volumes.contains("/models")) {
            problems.add("final stage VOLUME " + volumes + ": expected /models");
        }
        if (!"/models".equals(runtime.env().get("RESALIGN_MODELS_DIR"))) {
            problems.add("final stage ENV RESALIGN_MODELS_DIR=" + runtime.env().get("RESALIGN_MODELS_DIR") + ": expected /models");
        }
        boolean copied = runtime.all("COPY").stream().anyMatch(c -> c.flags().get("from") == null
                && c.words().size() == 2 && c.words().get(0).replaceAll("/$", "").equals("models")
                && c.words().get(1).replaceAll("/$", "").equals("/models"));
        if (!copied) {
            problems.add("final stage: no COPY models/ /models/ (the bundled models)");
        }
        return problems;
    }

    /** The image starts the Quarkus fast-jar that a COPY put at /app. */
    static List<String> entrypoint(Dockerfile file) {
        Stage runtime = file.finalStage();
        Optional<Instruction> entry = runtime.last("ENTRYPOINT");
        if (entry.isEmpty()) {
            return List.of("final stage: no ENTRYPOINT");
        }
        List<String> command = entry.get().execForm();
        List<String> problems = new ArrayList<>();
        if (command.isEmpty() || !command.get(0).equals("java")
                || !command.subList(Math.max(0, command.size() - 2), command.size()).equals(List.of("-jar", "/app/quarkus-run.jar"))) {
            problems.add(entry.get() + ": expected java ... -jar /app/quarkus-run.jar");
        }
        if (!copiesApp(file, runtime)) {
            problems.add("final stage: no COPY of .../quarkus-app/ to /app/");
        }
        return problems;
    }

    /** Whether the stage has the fast-jar at /app: copied from .../quarkus-app, or /app of a stage that has it. */
    private static boolean copiesApp(Dockerfile file, Stage stage) {
        for (Instruction copy : stage.all("COPY")) {
            List<String> words = copy.words();
            if (words.size() != 2 || !words.get(1).equals("/app/")) {
                continue;
            }
            String source = words.get(0).replaceAll("/$", "");
            if (source.endsWith("quarkus-app")) {
                return true;
            }
            Optional<Stage> from = Optional.ofNullable(copy.flags().get("from")).flatMap(file::stage);
            if (source.equals("/app") && from.isPresent() && from.get() != stage && copiesApp(file, from.get())) {
                return true;
            }
        }
        return false;
    }

    /** Every COPY from the build context names files that exist and that .dockerignore lets through. */
    static List<String> copySources(Dockerfile file, Path root) {
        List<PathMatcher> ignored = dockerignore(root);
        List<String> problems = new ArrayList<>();
        for (Stage stage : file.stages()) {
            for (Instruction copy : stage.all("COPY")) {
                if (copy.flags().containsKey("from")) {
                    continue;
                }
                List<String> words = copy.words();
                for (String source : words.subList(0, words.size() - 1)) {
                    Path relative = Path.of(source.replaceAll("/$", ""));
                    if (!Files.exists(root.resolve(relative))) {
                        problems.add(copy + ": " + source + " does not exist in the repository");
                    }
                    for (Path p = relative; p != null; p = p.getParent()) {
                        Path candidate = p;
                        if (ignored.stream().anyMatch(m -> m.matches(candidate))) {
                            problems.add(copy + ": " + source + " is excluded by .dockerignore");
                            break;
                        }
                    }
                }
            }
        }
        return problems;
    }

    private static List<PathMatcher> dockerignore(Path root) {
        Path file = root.resolve(".dockerignore");
        try {
            return Files.readAllLines(file).stream().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#") && !l.startsWith("!"))
                    .map(l -> FileSystems.getDefault().getPathMatcher("glob:" + l.replaceAll("/$", ""))).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }

    /** Returns {@code quarkus.http.port} from application.properties (plain or %prod), else Quarkus's 8080. */
    static int configuredHttpPort(Path root) {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(root.resolve("src/main/resources/application.properties"))) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String port = properties.getProperty("%prod.quarkus.http.port", properties.getProperty("quarkus.http.port", "8080"));
        return Integer.parseInt(port.trim());
    }
}
