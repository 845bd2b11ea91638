package io.resalign.embedded;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;

import io.quarkus.runtime.ShutdownEvent;

/**
 * Stops the embedded broker when the application stops, after Kafka Streams has closed: Quarkus
 * closes Kafka Streams in a {@code ShutdownEvent} observer of default priority
 * ({@code APPLICATION + 500}); this one runs later, so Streams commits its offsets to a live broker.
 */
@ApplicationScoped
public class EmbeddedKafkaShutdown {

    void onStop(@Observes @Priority(Interceptor.Priority.PLATFORM_AFTER + 500) ShutdownEvent event) {
        EmbeddedKafkaConfigSource.stop();
    }
}
