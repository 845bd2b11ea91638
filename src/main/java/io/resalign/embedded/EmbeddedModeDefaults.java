package io.resalign.embedded;

import java.util.Map;
import java.util.Set;

import org.eclipse.microprofile.config.spi.ConfigSource;

/**
 * Supplies shorter drift settings when the service runs on its embedded broker, the laptop mode in
 * which a newcomer watches the demo traffic: a 400-sample reference and windows of 100 instead of
 * 2,000 and 200, with a demo schedule of 600 clean and 600 noisy images to match. At the demo's 20
 * samples/s the reference is complete after 20 s and the first noisy window is tested about 35 s
 * after the demo starts, so the drift decision flips within the first minute (the production
 * defaults would take about two minutes).
 *
 * <p>Its ordinal is below application.properties, the environment and system properties, so any
 * value the user sets wins, and the test profile's settings stay as written. Like
 * {@link EmbeddedKafkaConfigSource} it lists no property names: Quarkus's build reads every listed
 * property and would record these values as the packaged defaults, which a production start with a
 * real cluster would then inherit.
 */
final class EmbeddedModeDefaults implements ConfigSource {
    /** Below application.properties (250) and every user source. */
    static final int ORDINAL = 140;

    static final Map<String, String> VALUES = Map.of(
            "resalign.drift.reference-size", "400",
            "resalign.drift.window-size", "100",
            "resalign.drift.window-advance", "100",
            "resalign.demo.schedule", "clean*600,noise:sigma=80*600");

    @Override
    public Set<String> getPropertyNames() {
        return Set.of();
    }

    @Override
    public String getValue(String propertyName) {
        return VALUES.get(propertyName);
    }

    @Override
    public String getName() {
        return "resalign embedded-mode defaults";
    }

    @Override
    public int getOrdinal() {
        return ORDINAL;
    }
}
