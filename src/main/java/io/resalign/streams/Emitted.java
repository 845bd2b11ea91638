package io.resalign.streams;

/**
 * What a stage of the topology sends on, before it is turned into bytes for its topic: the feature
 * rows of an analysed part of a batch (to the model version's owner, keyed {@code model:version}), a
 * report (to the reports topic, same key), or a dead letter (to the dead-letter topic, the original
 * key). The wiring ({@link TopologyProducer}) routes on the kind.
 */
sealed interface Emitted {
    /** Returns the value bytes for the topic. */
    byte[] bytes();

    /** The feature rows of one analysed part of a batch ({@link io.resalign.service.FeatureRow#encodeAll}). */
    record Rows(byte[] bytes) implements Emitted {}

    /** A part of a monitor state an earlier build kept in the analysis store, on its way to the monitor stage ({@link MonitorTransfer}). */
    record Transfer(byte[] bytes) implements Emitted {}

    /** An alignment report, JSON (docs/reports.md). */
    record Report(byte[] bytes) implements Emitted {}

    /** A dead letter: the original value (or its bounded form), reason in the headers. */
    record DeadLetter(byte[] bytes) implements Emitted {}
}
