package io.resalign.embedded;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

import org.eclipse.microprofile.config.spi.ConfigSource;

import io.resalign.config.ResalignConfig;
import io.resalign.config.ResalignConfig.EmbeddedMode;
import io.resalign.embedded.EmbeddedKafka;
import io.smallrye.config.ConfigSourceContext;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.ConfigValue;

/**
 * Decides whether the service uses its in-process broker and, if so, adds the
 * {@link EmbeddedKafkaConfigSource} that points the Kafka clients at it and the
 * {@link EmbeddedModeDefaults} that shorten the reference and windows for the laptop demo.
 *
 * <p>Why a config source and not a startup observer: Quarkus's {@code KafkaStreamsProducer} is
 * created at startup and reads {@code quarkus.kafka-streams.bootstrap-servers} (and, when that is
 * left at its default, {@code kafka.bootstrap.servers}) from the configuration while it builds the
 * {@code KafkaStreams} instance. The address must therefore be in the configuration before any bean
 * exists, and an ephemeral port is only known once the broker runs. The source starts the broker
 * the first time one of the two keys is read, which happens while Quarkus builds its runtime
 * configuration (mapping {@code quarkus.kafka-streams.*}), before any bean, any {@code StartupEvent}
 * observer and Kafka Streams; no observer priority has to be right. A user who sets either key in
 * any source (application.properties, environment, system property) is served by that source: in
 * mode {@code auto} this factory then adds nothing, and the broker never starts.
 *
 * <p>Registered in {@code META-INF/services/io.smallrye.config.ConfigSourceFactory}. Quarkus also
 * applies such factories while it builds the application; the source lists no property names so
 * that the build, which reads every listed property, does not start a broker (measured: it did).
 */
public class EmbeddedKafkaConfigSourceFactory implements ConfigSourceFactory {

    static final String DEFAULT_MODE = ResalignConfig.EmbeddedKafkaConfig.DEFAULT_MODE;
    static final String DEFAULT_PORT = ResalignConfig.EmbeddedKafkaConfig.DEFAULT_PORT;
    static final String DEFAULT_PARTITIONS = ResalignConfig.EmbeddedKafkaConfig.DEFAULT_PARTITIONS;

    static final String MODE = "resalign.kafka.embedded";
    static final String PORT = "resalign.kafka.port";
    static final String DATA_DIR = "resalign.kafka.data-dir";
    static final String PARTITIONS = "resalign.kafka.partitions";

    /** Above application.properties (250): {@code embedded=true} wins over a configured address. */
    private static final int FORCED_ORDINAL = 275;
    /** Below application.properties: in {@code auto} mode nothing else sets the keys anyway. */
    private static final int AUTO_ORDINAL = 150;

    @Override
    public Iterable<ConfigSource> getConfigSources(ConfigSourceContext context) {
        EmbeddedMode mode = mode(context);
        if (mode == EmbeddedMode.FALSE) {
            return List.of();
        }
        if (mode == EmbeddedMode.AUTO && (isSet(context, EmbeddedKafkaConfigSource.KAFKA_BOOTSTRAP_SERVERS)
                || isSet(context, EmbeddedKafkaConfigSource.STREAMS_BOOTSTRAP_SERVERS))) {
            return List.of();
        }
        EmbeddedKafka.Settings settings = new EmbeddedKafka.Settings(
                intValue(context, PORT, DEFAULT_PORT),
                Optional.ofNullable(value(context, DATA_DIR)).filter(s -> !s.isBlank()).map(Path::of));
        int partitions = intValue(context, PARTITIONS, DEFAULT_PARTITIONS);
        return List.of(new EmbeddedKafkaConfigSource(settings, partitions,
                mode == EmbeddedMode.TRUE ? FORCED_ORDINAL : AUTO_ORDINAL), new EmbeddedModeDefaults());
    }

    @Override
    public OptionalInt getPriority() {
        return OptionalInt.of(100);
    }

    private static EmbeddedMode mode(ConfigSourceContext context) {
        String raw = Optional.ofNullable(value(context, MODE)).orElse(DEFAULT_MODE).trim();
        try {
            return EmbeddedMode.valueOf(raw.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(MODE + " must be auto, true or false, got '" + raw + "'", e);
        }
    }

    private static boolean isSet(ConfigSourceContext context, String name) {
        ConfigValue value = context.getValue(name);
        // Extension defaults (quarkus.kafka-streams.bootstrap-servers=localhost:9092) live in
        // sources of negative ordinal; only a value the user wrote counts as "Kafka is configured".
        return value != null && value.getValue() != null && !value.getValue().isBlank()
                && value.getConfigSourceOrdinal() > 0;
    }

    private static String value(ConfigSourceContext context, String name) {
        ConfigValue value = context.getValue(name);
        return value == null ? null : value.getValue();
    }

    private static int intValue(ConfigSourceContext context, String name, String defaultValue) {
        String raw = Optional.ofNullable(value(context, name)).orElse(defaultValue).trim();
        try {
            return Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got '" + raw + "'", e);
        }
    }
}
