package io.resalign.bench;

/**
 * One detector's verdict on one window of the detection benchmark's stream.
 *
 * @param first index of the window's first sample in the stream
 * @param last index of its last sample (inclusive): the alarm is raised when this sample arrives
 * @param statistic the detector's statistic
 * @param threshold its calibrated threshold
 * @param alarm whether the window was flagged
 */
record WindowDecision(int first, int last, double statistic, double threshold, boolean alarm) {}
