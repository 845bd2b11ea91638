/**
 * Drift statistics for the per-sample Residual Alignment metrics, in plain Java (no Kafka, no DJL).
 *
 * <p>A sample's metrics become a {@link io.resalign.drift.FeatureVector} with a stable
 * {@link io.resalign.drift.FeatureSchema}; samples are collected in
 * {@link io.resalign.drift.WindowAggregate}s, grouped into count-based hopping windows by
 * {@link io.resalign.drift.HoppingCountWindows} (the one window implementation: without a payload in
 * process, with the service's own pane payload in the streaming service); a
 * {@link io.resalign.drift.ReferenceProfile} (first N samples or a pinned window, held by a
 * {@link io.resalign.drift.ReferenceState}) is the baseline; a {@link io.resalign.drift.DriftDetector}
 * compares each closed window with it against a bootstrap threshold and yields a
 * {@link io.resalign.drift.DriftReport}; {@link io.resalign.drift.DriftMonitor} runs this lifecycle for
 * one model version. The package imports only {@code java.*} and {@code io.resalign.engine.metrics}.
 * The method is in docs/drift.md.
 */
package io.resalign.drift;
