package io.resalign.sample.file;

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
 * <p>Each non-blank line holds one sample: a nested array of numbers or a KServe V2 style
 * tensor object {@code {"shape": [...], "data": [...]}}, as in {@link JsonReader}; all samples
 * must have the same shape. Blank lines are skipped. Errors name the line number.
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
            try (JsonParser p = JsonSamples.FACTORY.createParser(line)) {
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
