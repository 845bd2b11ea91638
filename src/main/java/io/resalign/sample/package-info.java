/**
 * The domain of a watched sample, in plain Java (no Kafka, no Quarkus, no DJL): a validated
 * {@link io.resalign.sample.SampleRecord}, the {@link io.resalign.sample.ModelSpec} it is checked
 * against and the {@link io.resalign.sample.ModelCatalog}s that hold them, the Open Inference
 * Protocol {@link io.resalign.sample.Datatype}s, the served prediction, and the
 * {@link io.resalign.sample.RejectReason}s a record can be refused for, carried by a
 * {@link io.resalign.sample.RejectedException}. The Kafka decoding of
 * records lives in {@code io.resalign.streams.record}; readers of sample files (the CLI's and the
 * trainer's input) in {@code io.resalign.sample.file}.
 */
package io.resalign.sample;
