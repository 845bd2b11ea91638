package io.resalign.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

import org.eclipse.microprofile.config.spi.ConfigProviderResolver;
import org.junit.jupiter.api.Test;

import io.quarkus.kafka.streams.runtime.KafkaStreamsPropertiesUtil;
import io.quarkus.kafka.streams.runtime.KafkaStreamsRuntimeConfig;
import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.InetSocketAddressConverter;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * The environment variable names the Helm chart sets reach Kafka Streams through Quarkus's own configuration code
 * (SmallRye Config with the service's application.properties, and the kafka-streams extension's property
 * collection and config mapping): a name that looks right but is silently ignored would leave a pod on plaintext
 * or on its defaults.
 */
class ChartEnvironmentTest {

    @Test
    void shouldPassSecuritySettingsThroughTheQuarkusKafkaStreamsMapping() throws Exception {
        KafkaStreamsRuntimeConfig streams = withEnvironment(Map.of(
                "QUARKUS_KAFKA_STREAMS_SECURITY_PROTOCOL", "SASL_SSL",
                "QUARKUS_KAFKA_STREAMS_SASL_MECHANISM", "SCRAM-SHA-512",
                "QUARKUS_KAFKA_STREAMS_SASL_JAAS_CONFIG", "jaas",
                "QUARKUS_KAFKA_STREAMS_SSL_TRUSTSTORE_LOCATION", "/etc/tls/ca.p12",
                "QUARKUS_KAFKA_STREAMS_SSL_TRUSTSTORE_TYPE", "PKCS12",
                "QUARKUS_KAFKA_STREAMS_SSL_TRUSTSTORE_PASSWORD", "secret",
                "QUARKUS_KAFKA_STREAMS_APPLICATION_ID", "resalign-prod"),
                config -> config.getConfigMapping(KafkaStreamsRuntimeConfig.class));
        assertEquals("SASL_SSL", streams.securityProtocol().orElseThrow());
        assertEquals("SCRAM-SHA-512", streams.sasl().mechanism().orElseThrow());
        assertEquals("jaas", streams.sasl().jaasConfig().orElseThrow());
        assertEquals("/etc/tls/ca.p12", streams.ssl().truststore().location().orElseThrow());
        assertEquals("PKCS12", streams.ssl().truststore().type().orElseThrow());
        assertEquals("secret", streams.ssl().truststore().password().orElseThrow());
        assertEquals("resalign-prod", streams.applicationId());
        // KafkaStreamsProducer reads kafka.bootstrap.servers itself (the mapping's own key is unset here).
        String bootstrap = withEnvironment(Map.of("KAFKA_BOOTSTRAP_SERVERS", "kafka-0:9093"),
                config -> config.getValue("kafka.bootstrap.servers", String.class));
        assertEquals("kafka-0:9093", bootstrap);
    }

    @Test
    void shouldPassKafkaStreamsPropertiesOnlyUnderTheirDottedNames() throws Exception {
        // The extension collects the names that start with "kafka-streams.": an upper-case variable only counts when
        // application.properties already has the dotted name (state.dir does), so the chart sets
        // kafka.streamsProperties under their dotted names.
        Properties streams = withEnvironment(Map.of(
                "KAFKA_STREAMS_STATE_DIR", "/var/lib/resalign/streams",
                "kafka-streams.num.stream.threads", "2",
                "KAFKA_STREAMS_REPLICATION_FACTOR", "3"),
                config -> KafkaStreamsPropertiesUtil.appKafkaStreamsProperties());
        assertEquals("/var/lib/resalign/streams", streams.get("state.dir"));
        assertEquals("2", streams.get("num.stream.threads"));
        assertEquals(null, streams.get("replication.factor"), "upper-case name unexpectedly reached Kafka Streams");
    }

    /** Runs {@code read} against the service's application.properties overridden by {@code environment}. */
    private <T> T withEnvironment(Map<String, String> environment, Function<SmallRyeConfig, T> read) throws Exception {
        Properties app = new Properties();
        try (var in = getClass().getClassLoader().getResourceAsStream("application.properties")) {
            app.load(in);
        }
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .addDefaultInterceptors()
                .withMapping(KafkaStreamsRuntimeConfig.class)
                // The converters Quarkus registers for the mapping's types.
                .withConverter(InetSocketAddress.class, 200, new InetSocketAddressConverter())
                .withConverter(Duration.class, 200, new DurationConverter())
                .withSources(new EnvConfigSource(environment, 300))
                .withSources(new PropertiesConfigSource(app, "application.properties", 250))
                .build();
        // ConfigProvider.getConfig() answers per class loader, and the test JVM's loader may already have one.
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[0], previous)) {
            ConfigProviderResolver.instance().registerConfig(config, loader);
            Thread.currentThread().setContextClassLoader(loader);
            try {
                return read.apply(config);
            } finally {
                Thread.currentThread().setContextClassLoader(previous);
                ConfigProviderResolver.instance().releaseConfig(config);
            }
        }
    }
}
