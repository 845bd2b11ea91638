package io.resalign.config;

import java.util.List;

/**
 * Names the service's Kafka topics. The topology, the embedded broker and the tests import these
 * constants; {@code quarkus.kafka-streams.topics} in application.properties repeats them because a
 * property file cannot import a constant.
 */
public final class Topics {

    /** Sampled inference inputs, one record per sample (the sample record contract). */
    public static final String INFERENCE_SAMPLES = "inference-samples";

    /** Samples that could not be parsed or validated; the reason travels in the record headers. */
    public static final String INFERENCE_SAMPLES_DLQ = "inference-samples.dlq";

    /** One JSON report per model and window. */
    public static final String ALIGNMENT_REPORTS = "alignment-reports";

    /** Every topic the service reads or writes, in the order the data flows. */
    public static final List<String> ALL = List.of(INFERENCE_SAMPLES, INFERENCE_SAMPLES_DLQ, ALIGNMENT_REPORTS);

    private Topics() {
    }
}
