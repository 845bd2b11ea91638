/**
 * The service core in plain Java: the models a replica serves ({@link io.resalign.service.ModelRegistry}),
 * per-model micro-batching with a rate limit ({@link io.resalign.service.MicroBatcher}), and the per-model
 * monitor that turns engine metrics into windows, drift decisions and
 * {@link io.resalign.service.AlignmentReport}s ({@link io.resalign.service.ModelMonitor}; the report is
 * built by {@link io.resalign.service.AlignmentReports}, the exported values by
 * {@link io.resalign.service.MonitorGauges}). Its windows are the drift package's
 * {@link io.resalign.drift.HoppingCountWindows} with a {@link io.resalign.service.PaneContext} per pane.
 *
 * <p>The records layer: a monitor's state is kept as bounded records of a key-value store
 * ({@link io.resalign.service.StateRecords}), laid out by {@link io.resalign.service.MonitorRecords},
 * encoded by {@link io.resalign.service.MonitorStateCodec}, and read from the single-value form of
 * earlier versions by {@link io.resalign.service.LegacyMonitorState}. No Kafka Streams, no Quarkus and
 * no metrics, api or streams imports: the topology calls these classes and keeps their serialised
 * state in its stores, and the metrics layer reads {@code MonitorGauges}. The report contract is in
 * docs/reports.md, the state records in docs/kafka.md ("Monitor state records").
 */
package io.resalign.service;
