package io.resalign.sample.file;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Signals that an input file does not hold what its format promises.
 *
 * <p>The message always names the file, the position of the problem (a byte offset, a sample
 * index or a line number) and what was expected against what was found, for example
 * {@code "x.json (sample 3): sample 3 has 783 values, expected 784 (shape [1, 28, 28])"}.
 */
public class InputFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String position;

    /**
     * Creates an exception for a problem at a position of a file.
     *
     * @param file the file being read, or {@code null} for data that came from no file
     * @param position where the problem is ("byte 16", "sample 3", "line 7"), or {@code null}
     * @param detail what was expected and what was found
     */
    public InputFormatException(Path file, String position, String detail) {
        this(file, position, detail, null);
    }

    /**
     * Creates an exception for a problem at a position of a file, with its cause.
     *
     * @param file the file being read, or {@code null} for data that came from no file
     * @param position where the problem is, or {@code null}
     * @param detail what was expected and what was found
     * @param cause the underlying exception, or {@code null}
     */
    public InputFormatException(Path file, String position, String detail, Throwable cause) {
        super(format(file, position, detail), cause);
        this.file = file;
        this.position = position;
    }

    /** Returns the file being read, or {@code null} when the data came from no file. */
    public Path file() {
        return file;
    }

    /** Returns the position of the problem in the file, or {@code null} when it has none. */
    public String position() {
        return position;
    }

    private static String format(Path file, String position, String detail) {
        String where = file == null ? "<in memory>" : file.toString();
        return position == null ? where + ": " + detail : where + " (" + position + "): " + detail;
    }
}
