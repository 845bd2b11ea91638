package io.resalign.drift;

/**
 * Describes how far one block moved: the largest |z| of its features, for ranking blocks.
 *
 * @param block block name
 * @param score max |z| over the block's tested features
 * @param sumOfSquares sum of z^2 over the block's tested features (breaks ties, shows breadth)
 * @param topFeature the block's feature with the largest |z|
 */
public record BlockShift(String block, double score, double sumOfSquares, String topFeature) {}
