package io.resalign.streams;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Wires the service's Kafka Streams topology: samples in, reports out.
 *
 * <p>PLACEHOLDER: for now each sample is forwarded unchanged from {@link Topics#INFERENCE_SAMPLES}
 * to {@link Topics#ALIGNMENT_REPORTS}, so that the wiring (broker, Serdes, topics, Quarkus Kafka
 * Streams lifecycle, health) can be proven end to end. Parsing, the dead-letter topic,
 * micro-batching, the engine and the windows replace the pass-through step.
 */
@ApplicationScoped
public class TopologyProducer {

    @Produces
    public Topology buildTopology() {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(Topics.INFERENCE_SAMPLES, Consumed.with(Serdes.String(), Serdes.ByteArray()))
                // PLACEHOLDER: pass-through until the sample parser and the engine are wired in.
                .mapValues(sample -> sample, Named.as("placeholder-pass-through"))
                .to(Topics.ALIGNMENT_REPORTS, Produced.with(Serdes.String(), Serdes.ByteArray()));
        return builder.build();
    }
}
