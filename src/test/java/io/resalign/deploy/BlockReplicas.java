package io.resalign.deploy;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.resalign.drift.FeatureSchema;
import io.resalign.metrics.ResalignMetrics;
import io.resalign.service.ModelStatus;
import io.resalign.service.MonitorGauges;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Two replicas of the service as Prometheus sees them, each a {@link ResalignMetrics} on its own
 * registry served over HTTP: both load a ViT-B/16 and a ResNet-50 in versions 1 and 2, so both export
 * {@code resalign_block_info} for all four model versions (as every replica does for the models it
 * loads); the first owns the versions 1 and exports their window gauges, the second the versions 2.
 * Each block feature's window mean is {@link #value}, so a series says which version and block it is.
 */
final class BlockReplicas implements AutoCloseable {
    static final String PATH = "/q/metrics";
    static final List<String> VERSIONS = List.of("1", "2");
    static final List<String> FEATURES = List.of("sigma1", "self_alignment", "alignment", "effective_rank", "stable_rank");
    static final Model VIT = vit();
    static final Model RESNET = resnet50();
    /** Series of {@code resalign_block_info} on one replica. */
    static final int INFO_SERIES = VERSIONS.size() * (VIT.blocks().size() + RESNET.blocks().size());
    /** Series of {@code resalign_window_block_feature_mean} on one replica (one version of each model). */
    static final int WINDOW_SERIES = FEATURES.size() * (VIT.blocks().size() + RESNET.blocks().size());

    /** A model and its watched blocks in forward order. */
    record Model(String name, List<ModelStatus.Block> blocks) {}

    private final List<HttpServer> servers;
    /** Held: Micrometer's gauges hold their state weakly, so a collected ResalignMetrics would export NaN. */
    private final List<ResalignMetrics> metrics;

    private BlockReplicas(List<HttpServer> servers, List<ResalignMetrics> metrics) {
        this.servers = servers;
        this.metrics = metrics;
    }

    /** Starts the two replicas on free ports of 127.0.0.1. */
    static BlockReplicas start() throws IOException {
        List<HttpServer> servers = new ArrayList<>();
        List<ResalignMetrics> held = new ArrayList<>();
        for (String owned : VERSIONS) {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            ResalignMetrics metrics = new ResalignMetrics(registry);
            held.add(metrics);
            List<ModelStatus> loaded = new ArrayList<>();
            for (Model m : List.of(VIT, RESNET)) {
                VERSIONS.forEach(v -> loaded.add(new ModelStatus(m.name(), v, Path.of("models", m.name()), ModelStatus.State.LOADED,
                        "cpu", 5, "", 1000, m.blocks())));
                metrics.publish(window(m, owned));
            }
            metrics.modelsLoaded("cpu", loaded);
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext(PATH, exchange -> {
                byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
            servers.add(server);
        }
        return new BlockReplicas(servers, held);
    }

    /** The replicas' host:port, for the scrape configuration. */
    List<String> targets() {
        return servers.stream().map(s -> "127.0.0.1:" + s.getAddress().getPort()).toList();
    }

    /** The window mean every feature of block {@code index} has in {@code version}: 100 x version + index. */
    static double value(String version, int index) {
        return 100 * Integer.parseInt(version) + index;
    }

    /** The {@code position} label of block {@code index}, zero-padded as the service pads it. */
    static String position(Model model, int index) {
        int digits = Integer.toString(model.blocks().size() - 1).length();
        return String.format(java.util.Locale.ROOT, "%0" + digits + "d", index);
    }

    private static MonitorGauges window(Model m, String version) {
        Map<String, Double> means = new LinkedHashMap<>();
        for (int i = 0; i < m.blocks().size(); i++) {
            for (String f : FEATURES) {
                means.put(FeatureSchema.blockFeature(m.blocks().get(i).name(), f), value(version, i));
            }
        }
        return new MonitorGauges(m.name(), version, means, Map.of(), 1.0, 4.0, 0, 60.0, false, 100, 200, 1, 0, 1.0, 3.0, 0, 0);
    }

    /** ViT-B/16: 12 encoder layers, an attention and an MLP branch each, in that order. */
    private static Model vit() {
        List<ModelStatus.Block> blocks = new ArrayList<>();
        for (int layer = 0; layer < 12; layer++) {
            for (String kind : List.of("attention", "mlp")) {
                blocks.add(new ModelStatus.Block("encoder_layer_" + layer + "." + kind, "encoder", kind));
            }
        }
        return new Model("vit-b-16", List.copyOf(blocks));
    }

    /** ResNet-50: 3, 4, 6 and 3 bottlenecks in layer1 to layer4. */
    private static Model resnet50() {
        List<ModelStatus.Block> blocks = new ArrayList<>();
        int[] depths = {3, 4, 6, 3};
        for (int stage = 0; stage < depths.length; stage++) {
            for (int j = 0; j < depths[stage]; j++) {
                blocks.add(new ModelStatus.Block("layer" + (stage + 1) + "." + j, "layer" + (stage + 1), "residual"));
            }
        }
        return new Model("resnet-50", List.copyOf(blocks));
    }

    @Override
    public void close() {
        servers.forEach(s -> s.stop(0));
    }
}
