/**
 * Reads the sample files that the analysis CLI feeds to a model: IDX, NPY, JSON and JSON Lines,
 * optionally gzipped, into a {@link io.resalign.sample.file.SampleBatch}.
 *
 * <p>Readers convert values to float as they are and never scale, truncate or pad: a file whose
 * length, shape or values disagree with its header fails with an
 * {@link io.resalign.sample.file.InputFormatException} naming the file, the position and what was
 * expected. NaN and infinities are read; the engine rejects them before analysis (except in a
 * JSON tensor object, which {@link io.resalign.sample.TensorJson} checks as the service checks a
 * record's tensor, and refuses at once).
 * Preprocessing belongs to the model manifest ({@code docs/models.md}).
 */
package io.resalign.sample.file;
