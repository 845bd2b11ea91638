package io.resalign.streams;

import io.resalign.config.ResalignConfig;
import io.resalign.drift.DriftSettings;
import java.time.Duration;

/**
 * Configures the two stages ({@link AnalysisProcessor}, {@link MonitorProcessor}).
 *
 * @param batchSize samples per engine batch
 * @param maxWaitMillis longest wait of a pending sample
 * @param rateLimit samples per second per model version, 0 for none
 * @param engineShare the share of engine time the replica's model versions may take together
 *     (service.EngineBudget), 0 for no limit
 * @param maxBatchSeconds engine seconds at the measured cost per sample beyond which a batch is
 *     analysed before it is full
 * @param maxPendingRecordBytes the largest record kept in the store while its samples wait: the
 *     batch of a larger record is analysed at once, so that no store record nears the changelog's
 *     record size limit
 * @param drift windows, reference and test
 */
record ProcessorSettings(int batchSize, long maxWaitMillis, double rateLimit, double engineShare, double maxBatchSeconds,
        long maxPendingRecordBytes, DriftSettings drift) {
    /** The service's default (ResalignConfig): half of Kafka's default 1 MiB record limit. */
    static final long DEFAULT_MAX_PENDING_RECORD_BYTES = Long.parseLong(ResalignConfig.BatchConfig.DEFAULT_MAX_PENDING_RECORD_BYTES);

    /** Settings without an engine share or a batch cost cap (every sample the rate limit admits goes to the engine). */
    ProcessorSettings(int batchSize, long maxWaitMillis, double rateLimit, DriftSettings drift) {
        this(batchSize, maxWaitMillis, rateLimit, 0, Double.POSITIVE_INFINITY, DEFAULT_MAX_PENDING_RECORD_BYTES, drift);
    }

    /** How often the punctuator looks at the batchers and the command inbox. */
    Duration punctuation() {
        return Duration.ofMillis(Math.max(10, Math.min(1000, maxWaitMillis / 2)));
    }
}
