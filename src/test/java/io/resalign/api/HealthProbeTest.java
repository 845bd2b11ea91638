package io.resalign.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The containers' health probe against a real HTTP server: UP is 200, Quarkus's DOWN is 503. */
class HealthProbeTest {
    private HttpServer server;
    private String base;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/q/health/live", exchange -> answer(exchange, 200, "{\"status\":\"UP\"}"));
        server.createContext("/q/health/ready", exchange -> answer(exchange, 503, "{\"status\":\"DOWN\"}"));
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void answer(com.sun.net.httpserver.HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    @Test
    void shouldPassWhenTheEndpointAnswersUp() {
        assertNull(HealthProbe.check(base + "/q/health/live"));
    }

    @Test
    void shouldFailNamingTheStatusWhenTheEndpointAnswersDown() {
        String problem = HealthProbe.check(base + "/q/health/ready");
        assertNotNull(problem);
        assertTrue(problem.contains("HTTP 503") && problem.contains("/q/health/ready"), problem);
    }

    @Test
    void shouldFailWhenNothingListens() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        String problem = HealthProbe.check("http://127.0.0.1:" + closed + "/q/health/live");
        assertNotNull(problem);
        assertTrue(problem.contains("ConnectException"), problem);
    }

    @Test
    void shouldRefuseAnythingButHttp() {
        String problem = HealthProbe.check("file:///etc/passwd");
        assertNotNull(problem);
        assertTrue(problem.contains("expected an http:// URL"), problem);
    }

    @Test
    void shouldAskLivenessOnTheEnvironmentsPortOr8080() {
        assertEquals("http://127.0.0.1:8080/q/health/live", HealthProbe.defaultUrl(null));
        assertEquals("http://127.0.0.1:8080/q/health/live", HealthProbe.defaultUrl(" "));
        assertEquals("http://127.0.0.1:9000/q/health/live", HealthProbe.defaultUrl("9000"));
    }
}
