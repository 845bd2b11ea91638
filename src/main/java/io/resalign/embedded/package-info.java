/**
 * The in-process Kafka broker of the laptop mode: the KRaft broker itself
 * ({@link io.resalign.embedded.EmbeddedKafka}, Kafka's own server classes), the configuration
 * source that starts it before the Kafka clients read their bootstrap address and points them at
 * it, the shorter drift defaults of that mode, and its shutdown after Kafka Streams. Nothing here
 * runs when {@code kafka.bootstrap.servers} names a real cluster (docs/kafka.md, "Default: the embedded broker").
 */
package io.resalign.embedded;
