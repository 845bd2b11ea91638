package io.resalign.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.jboss.logging.Logger;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;

/**
 * Runs a single-node Kafka cluster in this JVM: one KRaft process that is both broker and
 * controller, Kafka's own server classes at the version the Quarkus BOM manages. It listens on the
 * loopback interface only, without authentication, and sets every replication factor to 1, so it
 * serves the service's default mode (one command, no Kafka to install) and the tests, never a
 * production cluster.
 *
 * <p>It is {@link KafkaRaftServer} (what {@code kafka-server-start.sh} runs) rather than the
 * test kit {@code KafkaClusterTestKit}: the test kit pre-binds its ports on every interface,
 * enables unstable features, swallows fatal faults and brings JUnit onto the runtime classpath.
 * As in a real Kafka process, a fatal broker fault halts the JVM.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(EmbeddedKafka.class);
    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);

    /**
     * Says where and how the broker runs.
     *
     * @param port    port of the client listener; 0 picks a free one
     * @param dataDir directory kept across restarts; empty for a temporary one deleted on close
     */
    public record Settings(int port, Optional<Path> dataDir) {
        public Settings {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("resalign.kafka.port must be 0 (any free port) or 1-65535, got " + port);
            }
        }

        /** Returns settings with a free port and a temporary directory. */
        public static Settings ephemeral() {
            return new Settings(0, Optional.empty());
        }
    }

    private final KafkaRaftServer server;
    private final Path dataDir;
    private final boolean deleteOnClose;
    private final int port;
    private boolean closed;

    private EmbeddedKafka(KafkaRaftServer server, Path dataDir, boolean deleteOnClose, int port) {
        this.server = server;
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
        this.port = port;
    }

    /**
     * Formats the data directory if it is new, starts the server and returns once it accepts
     * clients.
     */
    public static EmbeddedKafka start(Settings settings) {
        long started = System.nanoTime();
        boolean temporary = settings.dataDir().isEmpty();
        Path dataDir;
        try {
            dataDir = temporary
                    ? Files.createTempDirectory("resalign-kafka-")
                    : Files.createDirectories(settings.dataDir().get().toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create the embedded Kafka data directory (resalign.kafka.data-dir): " + e.getMessage(), e);
        }
        Path logDir = dataDir.resolve("kraft-combined-logs");
        int port = settings.port() == 0 ? freeLoopbackPort() : settings.port();
        int controllerPort = freeLoopbackPort();
        KafkaRaftServer server = null;
        try {
            KafkaConfig config = new KafkaConfig(serverProperties(logDir, port, controllerPort), false);
            formatIfNew(logDir);
            server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            EmbeddedKafka kafka = new EmbeddedKafka(server, dataDir, temporary, port);
            kafka.awaitReady();
            LOG.infof("Embedded Kafka %s started in %d ms on %s, data in %s",
                    org.apache.kafka.common.utils.AppInfoParser.getVersion(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), kafka.bootstrapServers(),
                    temporary ? "a temporary directory (deleted on shutdown)" : dataDir);
            return kafka;
        } catch (RuntimeException | Error e) {
            if (server != null) {
                server.shutdown();
                server.awaitShutdown();
            }
            if (temporary) {
                deleteRecursively(dataDir);
            }
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("The embedded Kafka broker did not start: " + e.getMessage(), e);
        }
    }

    /** Returns the {@code host:port} clients connect to. */
    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    /** Returns the port of the client listener. */
    public int port() {
        return port;
    }

    /** Returns the directory that holds the broker's logs and metadata. */
    public Path dataDir() {
        return dataDir;
    }

    /** Creates the topics that do not exist yet, each with the given number of partitions. */
    public void createTopics(Collection<String> names, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("resalign.kafka.partitions must be at least 1, got " + partitions);
        }
        List<NewTopic> topics = new ArrayList<>();
        for (String name : names) {
            topics.add(new NewTopic(name, partitions, (short) 1));
        }
        try (Admin admin = admin()) {
            var result = admin.createTopics(topics);
            for (var entry : result.values().entrySet()) {
                try {
                    entry.getValue().get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("Cannot create topic " + entry.getKey() + " on the embedded broker: "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topics " + names, e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("Topics " + names + " not created within " + STARTUP_TIMEOUT, e);
        }
    }

    /** Stops the server, waits until its threads end and its port is closed, and deletes a temporary data directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        if (deleteOnClose) {
            deleteRecursively(dataDir);
        }
        LOG.infof("Embedded Kafka on %s stopped", bootstrapServers());
    }

    private Admin admin() {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.CLIENT_ID_CONFIG, "resalign-embedded-kafka"));
    }

    private void awaitReady() throws InterruptedException, ExecutionException, TimeoutException {
        // The broker registers with its controller after startup() returns; a cluster description
        // that lists it means it accepts metadata and produce requests.
        try (Admin admin = admin()) {
            long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
            while (admin.describeCluster().nodes().get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS).isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("The embedded broker registered no node within " + STARTUP_TIMEOUT);
                }
            }
        }
    }

    private static Map<String, Object> serverProperties(Path logDir, int port, int controllerPort) {
        Map<String, Object> p = new HashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("listeners", BROKER_LISTENER + "://" + HOST + ":" + port + "," + CONTROLLER_LISTENER + "://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + port);
        p.put("listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", BROKER_LISTENER);
        p.put("log.dirs", logDir.toString());
        // One node: every internal topic with one replica, one in-sync replica is enough.
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        // The service's topics are created explicitly, as they must be on a production cluster.
        p.put("auto.create.topics.enable", "false");
        // Few partitions for internal topics and no rebalance delay: a quick first start matters
        // more here than spreading the group coordinator's load.
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // Small machines: a handful of threads and a small cleaner buffer instead of the defaults.
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
        return p;
    }

    private static void formatIfNew(Path logDir) throws Exception {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return;
        }
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(NODE_ID)
                .setClusterId(Uuid.randomUuid().toString())
                .setDirectories(List.of(logDir.toString()))
                .setMetadataLogDirectory(logDir.toString())
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                .setUnstableFeatureVersionsEnabled(false)
                .run();
    }

    private static int freeLoopbackPort() {
        // The port is released before the server binds it: another process could take it in
        // between. On a loopback interface at startup that window is accepted; a fixed
        // resalign.kafka.port avoids it for the client listener.
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on " + HOST + " for the embedded Kafka broker", e);
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            LOG.warnf("Could not delete the embedded Kafka directory %s: %s", dir, e.getMessage());
        }
    }
}
