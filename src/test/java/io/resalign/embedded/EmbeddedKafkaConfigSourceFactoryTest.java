package io.resalign.embedded;

import io.resalign.config.ResalignConfig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.StreamSupport;

import org.eclipse.microprofile.config.spi.ConfigSource;
import org.junit.jupiter.api.Test;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/**
 * When the embedded broker is chosen. These tests only build configurations: no property of the
 * embedded source is read, so no broker starts.
 */
class EmbeddedKafkaConfigSourceFactoryTest {

    @Test
    void shouldUseTheEmbeddedBrokerWhenNoKafkaIsConfigured() {
        assertEquals(150, embeddedOrdinal(Map.of()));
    }

    @Test
    void shouldNotUseItWhenKafkaBootstrapServersIsSet() {
        assertEquals(-1, embeddedOrdinal(Map.of("kafka.bootstrap.servers", "kafka-0:9092")));
    }

    @Test
    void shouldNotUseItWhenTheStreamsBootstrapServersAreSet() {
        assertEquals(-1, embeddedOrdinal(Map.of("quarkus.kafka-streams.bootstrap-servers", "kafka-0:9092")));
    }

    @Test
    void shouldNotUseItWhenDisabled() {
        assertEquals(-1, embeddedOrdinal(Map.of("resalign.kafka.embedded", "false")));
    }

    @Test
    void shouldOverrideAConfiguredAddressWhenForced() {
        int ordinal = embeddedOrdinal(Map.of("resalign.kafka.embedded", "TRUE", "kafka.bootstrap.servers", "kafka-0:9092"));
        assertTrue(ordinal > 250, "forced source must rank above application.properties, ordinal " + ordinal);
    }

    @Test
    void shouldNameTheKeyAndTheValueWhenTheModeIsWrong() {
        var e = assertThrows(IllegalArgumentException.class, () -> embeddedOrdinal(Map.of("resalign.kafka.embedded", "yes")));
        assertTrue(e.getMessage().contains("resalign.kafka.embedded") && e.getMessage().contains("yes"), e.getMessage());
    }

    @Test
    void shouldListNoPropertyNamesSoThatTheBuildStartsNoBroker() {
        SmallRyeConfig config = config(Map.of());
        ConfigSource embedded = StreamSupport.stream(config.getConfigSources().spliterator(), false)
                .filter(source -> source instanceof EmbeddedKafkaConfigSource).findFirst().orElseThrow();
        assertTrue(embedded.getPropertyNames().isEmpty());
        assertFalse(EmbeddedKafkaConfigSource.running().isPresent(), "building the configuration started a broker");
    }

    @Test
    void shouldShortenTheReferenceAndWindowsInEmbeddedModeSoTheDemoFlipsWithinAMinute() {
        ResalignConfig config = config(Map.of()).getConfigMapping(ResalignConfig.class);
        assertEquals(400, config.drift().referenceSize());
        assertEquals(100, config.drift().windowSize());
        assertEquals(100, config.drift().windowAdvance());
        assertEquals("clean*600,noise:sigma=80*600", config.demo().schedule());
    }

    @Test
    void shouldLetEveryUserSettingWinOverTheEmbeddedModeDefaults() {
        ResalignConfig forced = config(Map.of("resalign.kafka.embedded", "true", "resalign.drift.reference-size", "1000",
                "resalign.demo.schedule", "clean")).getConfigMapping(ResalignConfig.class);
        assertEquals(1000, forced.drift().referenceSize());
        assertEquals("clean", forced.demo().schedule());
        assertEquals(100, forced.drift().windowSize());
    }

    @Test
    void shouldKeepTheProductionDefaultsWhenKafkaIsConfigured() {
        ResalignConfig config = config(Map.of("kafka.bootstrap.servers", "kafka-0:9092")).getConfigMapping(ResalignConfig.class);
        assertEquals(2000, config.drift().referenceSize());
        assertEquals(200, config.drift().windowSize());
        assertEquals(io.resalign.demo.DriftSchedule.DEFAULT, config.demo().schedule());
    }

    private static int embeddedOrdinal(Map<String, String> properties) {
        return StreamSupport.stream(config(properties).getConfigSources().spliterator(), false)
                .filter(source -> source instanceof EmbeddedKafkaConfigSource)
                .mapToInt(ConfigSource::getOrdinal).findFirst().orElse(-1);
    }

    private static SmallRyeConfig config(Map<String, String> properties) {
        return new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(properties, "test", 250))
                .withSources(new EmbeddedKafkaConfigSourceFactory())
                .withMapping(ResalignConfig.class)
                .build();
    }
}
