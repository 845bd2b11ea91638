package io.resalign.api;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;

/**
 * Asks one of the service's health endpoints whether it is UP and exits 0 if so, 1 if not: the
 * container health check of the images and of the compose stack (docs/containers.md).
 *
 * <p>It exists because neither runtime base image is guaranteed to carry {@code curl} or
 * {@code wget} (the CUDA image has neither), and installing one only for a health check adds a
 * network tool to the runtime image. The JRE is always there; this class uses nothing but the JDK,
 * so it runs from the application jar alone ({@code java -cp /app/app/* io.resalign.api.HealthProbe}).
 *
 * <p>Arguments: an optional URL. Without one it asks
 * {@code http://127.0.0.1:${QUARKUS_HTTP_PORT:-8080}/q/health/live}, so a port changed through the
 * environment is followed by the image's own health check.
 */
public final class HealthProbe {
    /** Connect and read timeout; Docker's own health-check timeout is longer, so the probe answers first. */
    static final int TIMEOUT_MILLIS = 4000;

    private HealthProbe() {
    }

    /** Exits 0 when the endpoint answers HTTP 200, 1 otherwise, 2 on bad arguments. */
    public static void main(String[] args) {
        if (args.length > 1) {
            System.err.println("usage: HealthProbe [URL]   (default http://127.0.0.1:${QUARKUS_HTTP_PORT:-8080}/q/health/live)");
            System.exit(2);
        }
        String url = args.length == 1 ? args[0] : defaultUrl(System.getenv("QUARKUS_HTTP_PORT"));
        String problem = check(url);
        if (problem != null) {
            System.err.println(problem);
            System.exit(1);
        }
    }

    /** Returns the liveness URL on the given port, or on 8080 when the port is unset or blank. */
    public static String defaultUrl(String port) {
        String p = port == null || port.isBlank() ? "8080" : port.trim();
        return "http://127.0.0.1:" + p + "/q/health/live";
    }

    /**
     * Returns null when {@code url} answers 200 (Quarkus answers 503 for DOWN), else a message saying
     * what answered instead.
     */
    static String check(String url) {
        HttpURLConnection connection = null;
        try {
            connection = (HttpURLConnection) toUrl(url).openConnection();
            connection.setConnectTimeout(TIMEOUT_MILLIS);
            connection.setReadTimeout(TIMEOUT_MILLIS);
            connection.setRequestProperty("Accept", "application/json");
            int status = connection.getResponseCode();
            return status == HttpURLConnection.HTTP_OK ? null
                    : "health check " + url + ": HTTP " + status + " (expected 200, UP)";
        } catch (IOException | IllegalArgumentException e) {
            return "health check " + url + ": " + e;
        } finally {
            if (connection != null) {
                connection.disconnect();
            }
        }
    }

    private static URL toUrl(String url) throws IOException {
        URI uri = URI.create(url);
        if (!"http".equals(uri.getScheme())) {
            throw new IllegalArgumentException("expected an http:// URL, got '" + url + "'");
        }
        return uri.toURL();
    }
}
