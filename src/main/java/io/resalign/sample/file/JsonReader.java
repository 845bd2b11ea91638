package io.resalign.sample.file;

import io.resalign.sample.TensorJson;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads a JSON file holding a top-level array of samples.
 *
 * <p>The samples are either nested arrays of numbers, the first axis being the samples
 * ({@code [[0.1, 0.2], [0.3, 0.4]]} is 2 samples of shape {@code [2]}), or Open Inference
 * Protocol tensor objects {@code {"shape": [1, 28, 28], "data": [...]}}, one per sample, read
 * by {@link io.resalign.sample.TensorJson} as the service reads a record's input tensor: data
 * flat (row-major) or nested exactly as the shape, {@code datatype} optional (FP32 when
 * absent) and every value checked against it. Every sample must have the same shape; ragged
 * arrays are refused. In nested arrays {@code NaN} and {@code Infinity} are read as such (the
 * engine rejects them before analysis); in a tensor object they are refused at once. The file
 * may nest arrays and objects at most {@value io.resalign.sample.TensorJson#MAX_DEPTH} levels
 * deep.
 */
public final class JsonReader {

    private JsonReader() {
    }

    /**
     * Reads the samples of a JSON file, gzipped or not.
     *
     * @param file a JSON file with a top-level array of samples
     * @return the samples, with the shape shared by all of them
     * @throws InputFormatException if the JSON is invalid, ragged or holds non-numbers
     * @throws IOException if the file cannot be read
     */
    public static SampleBatch read(Path file) throws IOException {
        try (SourceStream in = SourceStream.open(file)) {
            return read(in);
        }
    }

    static SampleBatch read(SourceStream in) throws IOException {
        JsonSamples samples = new JsonSamples(in.file(), false);
        try (JsonParser p = TensorJson.parser(in)) {
            JsonToken first = p.nextToken();
            if (first != JsonToken.START_ARRAY) {
                throw samples.error(p, "expected a top-level array of samples, found "
                        + (first == null ? "an empty file" : first == JsonToken.START_OBJECT ? "an object" : p.getText())
                        + (first == JsonToken.START_OBJECT ? " (wrap tensor objects in an array: [{...}, {...}])" : ""));
            }
            while (p.nextToken() != JsonToken.END_ARRAY) {
                samples.sample(p);
            }
            if (p.nextToken() != null) {
                throw samples.error(p, "unexpected content after the top-level array: " + p.getText());
            }
        } catch (JsonProcessingException e) {
            throw samples.syntaxError(e);
        }
        return samples.batch();
    }
}
