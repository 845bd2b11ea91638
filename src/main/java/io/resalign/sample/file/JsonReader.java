package io.resalign.sample.file;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads a JSON file holding a top-level array of samples.
 *
 * <p>The samples are either nested arrays of numbers, the first axis being the samples
 * ({@code [[0.1, 0.2], [0.3, 0.4]]} is 2 samples of shape {@code [2]}), or KServe V2 style
 * tensor objects {@code {"shape": [1, 28, 28], "data": [...]}}, one per sample, with
 * row-major (flat or nested) data and the same shape for all. Every sample must have the same
 * shape; ragged arrays are refused. {@code NaN} and {@code Infinity} are read as such; the
 * engine rejects them before analysis.
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
        try (JsonParser p = JsonSamples.FACTORY.createParser(in)) {
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
