package io.resalign.engine.metrics;

/**
 * Holds the RA1 metrics of one sample's trajectory through one stage (a run of equal-shape representations).
 *
 * @param name stage name
 * @param steps number of steps (representations minus one)
 * @param lineShape sum of step norms over end-to-end distance
 * @param stepCv coefficient of variation of the step norms
 */
public record StageMetrics(String name, int steps, double lineShape, double stepCv) {}
