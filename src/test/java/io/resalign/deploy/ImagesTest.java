package io.resalign.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks the container images statically (no Docker engine runs here): docker/Dockerfile (CPU) and
 * docker/Dockerfile.cuda (GPU) pin their base images, run as a numeric non-root user, expose the
 * configured HTTP port, health-check a Quarkus health endpoint, download nothing at run time, serve
 * /models from a volume, start the Quarkus runner and copy only files that exist. A deliberately bad
 * Dockerfile shows that each check can fail.
 */
class ImagesTest {
    private static final Path ROOT = Path.of("");

    private static Dockerfile image(String path) {
        return Dockerfile.parse(ROOT.resolve(path));
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker/Dockerfile", "docker/Dockerfile.cuda"})
    void shouldKeepEveryPromiseOfTheImage(String path) {
        Dockerfile file = image(path);
        int port = ImageRules.configuredHttpPort(ROOT);
        assertEquals(List.of(), ImageRules.pinnedImages(file), path + ": base images pinned");
        assertEquals(List.of(), ImageRules.nonRootUser(file), path + ": non-root user");
        assertEquals(List.of(), ImageRules.exposedPort(file, port), path + ": exposed port");
        assertEquals(List.of(), ImageRules.healthCheck(file, port), path + ": health check");
        assertEquals(List.of(), ImageRules.offline(file), path + ": offline at run time");
        assertEquals(List.of(), ImageRules.modelsVolume(file), path + ": models volume");
        assertEquals(List.of(), ImageRules.entrypoint(file), path + ": entry point");
        assertEquals(List.of(), ImageRules.copySources(file, ROOT), path + ": COPY sources");
    }

    @Test
    void shouldBuildTheCpuImageOnTheCpuFlavorAndTheCudaImageOnCu128() {
        assertFalse(image("docker/Dockerfile").finalStage().env().containsKey("PYTORCH_FLAVOR"), "CPU image: the native jar decides");
        assertEquals("cu128", image("docker/Dockerfile.cuda").finalStage().env().get("PYTORCH_FLAVOR"),
                "DJL 0.36 / PyTorch 2.7.1 publish CUDA 12.8 natives");
        assertTrue(image("docker/Dockerfile.cuda").finalStage().image().startsWith("nvidia/cuda:12.8."),
                "the CUDA runtime matches the cu128 natives");
    }

    @Test
    void shouldReadContinuedInstructionsStagesAndExecForms() {
        Dockerfile file = Dockerfile.parse(Path.of("sample"), """
                # comment
                FROM eclipse-temurin:17.0.15_6-jdk-noble AS build
                RUN echo a \\
                # a comment inside a continuation is dropped
                    && echo b
                FROM build
                ENV A=1 \\
                    B="two words"
                HEALTHCHECK --interval=5s CMD ["java", "-version"]
                """);
        assertEquals(2, file.stages().size());
        assertEquals("build", file.stages().get(0).name());
        assertEquals("echo a  && echo b", file.stages().get(0).all("RUN").get(0).arguments());
        assertEquals("1", file.finalStage().env().get("A"));
        assertEquals("two words", file.finalStage().env().get("B"));
        assertEquals("5s", file.finalStage().last("HEALTHCHECK").orElseThrow().flags().get("interval"));
        assertEquals(List.of("java", "-version"), file.finalStage().last("HEALTHCHECK").orElseThrow().execForm());
    }

    @Test
    void shouldReportEveryBrokenPromiseOfABadDockerfile() {
        Dockerfile bad = Dockerfile.parse(Path.of("bad"), """
                FROM eclipse-temurin:17 AS build
                RUN ./mvnw package
                FROM ubuntu
                COPY --from=busybox:latest /bin/wget /bin/wget
                RUN apt-get update && apt-get install -y curl
                COPY --from=build /src/target/quarkus-app/ /app/
                COPY no-such-dir/ /models/
                COPY docs/ /docs/
                ENV PYTORCH_VERSION=2.7.1
                USER resalign
                EXPOSE 9000
                HEALTHCHECK CMD ["curl", "-f", "http://localhost:8080/"]
                ENTRYPOINT ["java", "-jar", "/app/app.jar"]
                """);
        assertEquals(3, ImageRules.pinnedImages(bad).size(), "eclipse-temurin:17, ubuntu, busybox:latest: " + ImageRules.pinnedImages(bad));
        assertFalse(ImageRules.nonRootUser(bad).isEmpty(), "a user name is not verifiable as non-root");
        assertFalse(ImageRules.exposedPort(bad, 8080).isEmpty(), "9000 is not the configured port");
        assertFalse(ImageRules.healthCheck(bad, 8080).isEmpty(), "/ is not a health endpoint");
        List<String> offline = ImageRules.offline(bad);
        assertTrue(offline.stream().anyMatch(p -> p.contains("-Dai.djl.offline=true")), offline.toString());
        assertTrue(offline.stream().anyMatch(p -> p.contains("PYTORCH_VERSION")), offline.toString());
        assertTrue(offline.stream().anyMatch(p -> p.contains("EngineCheck")), offline.toString());
        assertTrue(offline.stream().anyMatch(p -> p.contains("apt-get")), offline.toString());
        assertFalse(ImageRules.modelsVolume(bad).isEmpty(), "no VOLUME /models");
        assertFalse(ImageRules.entrypoint(bad).isEmpty(), "not the Quarkus runner");
        List<String> copies = ImageRules.copySources(bad, ROOT);
        assertTrue(copies.stream().anyMatch(p -> p.contains("no-such-dir/ does not exist")), copies.toString());
        assertTrue(copies.stream().anyMatch(p -> p.contains("docs/ is excluded by .dockerignore")), copies.toString());
    }

    @Test
    void shouldTellAPinnedTagFromAFloatingOne() {
        assertTrue(ImageRules.pinProblem("prom/prometheus:v2.42.0").isEmpty());
        assertTrue(ImageRules.pinProblem("nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04").isEmpty());
        assertTrue(ImageRules.pinProblem("eclipse-temurin:17.0.15_6-jre-noble@sha256:" + "a".repeat(64)).isEmpty());
        assertTrue(ImageRules.pinProblem("apache/kafka").isPresent(), "no tag");
        assertTrue(ImageRules.pinProblem("localhost:5000/kafka").isPresent(), "a registry port is not a tag");
        assertTrue(ImageRules.pinProblem("grafana/grafana:latest").isPresent());
        assertTrue(ImageRules.pinProblem("debian:bookworm-slim").isPresent(), "a release name moves");
        assertTrue(ImageRules.pinProblem("eclipse-temurin:17.0.15_6-jre@sha256:abc").isPresent(), "short digest");
    }
}
