/**
 * The sample record contract: parsing and validation of the JSON (Open Inference Protocol) and
 * binary forms of the samples topic, reject reasons, and dead-letter headers (format in
 * docs/sample-format.md). Plain Java with Kafka's {@code Headers} API only: no Kafka Streams,
 * no Quarkus, no DJL.
 */
package io.resalign.streams.record;
