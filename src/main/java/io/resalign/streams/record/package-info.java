/**
 * Decodes the records of the samples topic into {@link io.resalign.sample.SampleRecord}s: the
 * JSON (Open Inference Protocol, bare or as a CloudEvent) and binary forms, the headers that
 * complete them, and the dead-letter headers of a refused record (format in
 * docs/sample-format.md). The tensor of the JSON form and the value rules of both forms are
 * {@link io.resalign.sample.TensorJson}'s, shared with the CLI's sample files; this package adds
 * what touches the Kafka record. Kafka's {@code Headers} API only: no Kafka Streams, no Quarkus,
 * no DJL.
 */
package io.resalign.streams.record;
