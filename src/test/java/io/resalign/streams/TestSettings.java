package io.resalign.streams;

import io.resalign.config.ResalignConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Builds the service's configuration for topology tests that need only small settings: batches of
 * one, a reference of 16 and windows of 8, a quick calibration. Going through the configuration
 * (TopologyProducer.settings) keeps such a test independent of how the processor's settings are
 * spelled in code. Also the TopologyTestDriver's properties.
 */
final class TestSettings {
    private TestSettings() {
    }

    static ResalignConfig config() {
        SmallRyeConfigBuilder builder = new SmallRyeConfigBuilder().withMapping(ResalignConfig.class);
        Map.of("resalign.batch.size", "1",
                "resalign.batch.max-wait-ms", "1000",
                "resalign.batch.engine-share", "0",
                "resalign.drift.reference-size", "16",
                "resalign.drift.window-size", "8",
                "resalign.drift.window-advance", "8",
                "resalign.drift.false-alarm-rate", "0.05",
                "resalign.drift.bootstrap-replicates", "200")
                .forEach(builder::withDefaultValue);
        return builder.build().getConfigMapping(ResalignConfig.class);
    }

    /** Returns a TopologyTestDriver's properties: an application id, no broker, a state directory of the test's. */
    static Properties driverProperties(String applicationId, Path stateDir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return props;
    }
}
