package io.resalign.sample.file;

import io.resalign.sample.TensorJson;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads a JSON Lines file ({@code .jsonl}) with one sample per line.
 *
 * <p>Each non-blank line holds one sample: a nested array of numbers or an Open Inference
 * Protocol tensor object {@code {"shape": [...], "data": [...]}}, with the rules of
 * {@link JsonReader}; all samples must have the same shape. A line may nest arrays and objects
 * at most {@value io.resalign.sample.TensorJson#MAX_DEPTH} levels deep. Blank lines are
 * skipped. Errors name the line number.
 */
public final class JsonLinesReader {

    private JsonLinesReader() {
    }

    /**
     * Reads the samples of a JSON Lines file, gzipped or not.
     *
     * @param file a file with one JSON sample per line
     * @return the samples, with the shape shared by all of them
     * @throws InputFormatException if a line is invalid, ragged or of another shape
     * @throws IOException if the file cannot be read
     */
    public static SampleBatch read(Path file) throws IOException {
        try (SourceStream in = SourceStream.open(file)) {
            return read(in);
        }
    }

    static SampleBatch read(SourceStream in) throws IOException {
        JsonSamples samples = new JsonSamples(in.file(), true);
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int lineNumber = 0;
        while ((line = reader.readLine()) != null) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            samples.atLine(lineNumber);
            try (JsonParser p = TensorJson.parser(line)) {
                p.nextToken();
                samples.sample(p);
                if (p.nextToken() != null) {
                    throw samples.error(p, "unexpected content after the sample: " + p.getText()
                            + " (JSON Lines holds one sample per line)");
                }
            } catch (JsonProcessingException e) {
                throw samples.syntaxError(e);
            }
        }
        return samples.batch();
    }
}
