/**
 * The service core in plain Java: the models a replica serves ({@link io.resalign.service.ModelRegistry}),
 * per-model micro-batching with a rate limit ({@link io.resalign.service.MicroBatcher}), and the per-model
 * monitor that turns engine metrics into windows, drift decisions and
 * {@link io.resalign.service.AlignmentReport}s ({@link io.resalign.service.ModelMonitor}). No Kafka Streams
 * and no Quarkus: the topology calls these classes and keeps their serialised state in its stores.
 * The report contract is in docs/reports.md.
 */
package io.resalign.service;
