package io.resalign.streams.record;

import io.resalign.sample.RejectReason;
import io.resalign.sample.RejectedException;

import java.util.BitSet;
import java.util.Optional;
import org.apache.kafka.common.header.Headers;

/**
 * Reads and writes the samples of a record that a dead letter stands for, the value of
 * {@link DeadLetters#SAMPLES}: indices into the record's samples (0 for the first entry of its
 * batch axis), single ones and inclusive ranges, comma-separated, e.g. {@code 16-31,40}. The
 * service writes it on a dead letter that stands for only some of its record's samples (docs/kafka.md,
 * "Failures"), and takes only those samples of a record that arrives with it, so that a dead letter
 * replayed with its headers counts none of its record's samples twice.
 */
public final class SampleSelection {
    /** The most characters an index may have: far beyond any batch a record may carry. */
    private static final int MAX_DIGITS = 9;

    private SampleSelection() {
    }

    /** Returns {@code indices} (at least one, none negative) as the header writes them: ascending, runs as ranges. */
    public static String format(BitSet indices) {
        if (indices.isEmpty()) {
            throw new IllegalArgumentException("a selection names at least one sample");
        }
        StringBuilder out = new StringBuilder();
        int from = indices.nextSetBit(0);
        while (from >= 0) {
            int to = indices.nextClearBit(from) - 1;
            out.append(out.isEmpty() ? "" : ",").append(from);
            if (to > from) {
                out.append('-').append(to);
            }
            from = indices.nextSetBit(to + 1);
        }
        return out.toString();
    }

    /**
     * Returns the samples that the record's {@link DeadLetters#SAMPLES} header selects among its
     * {@code samples}, empty when it has none (then all are taken).
     *
     * @throws RejectedException with {@link RejectReason#INVALID_SAMPLE_SELECTION} when the header is
     *     empty, not UTF-8, not a list of indices and ranges, or names an index the record does not have
     */
    public static Optional<BitSet> read(Headers headers, int samples) throws RejectedException {
        Optional<String> text;
        try {
            text = SampleHeaders.text(headers, DeadLetters.SAMPLES);
        } catch (RejectedException e) {
            throw new RejectedException(RejectReason.INVALID_SAMPLE_SELECTION, "header " + DeadLetters.SAMPLES
                    + " is empty or not UTF-8 text" + expected(samples));
        }
        if (text.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(parse(text.get(), samples));
    }

    /**
     * Parses a header value naming samples of a record that carries {@code samples} of them.
     *
     * @throws RejectedException with {@link RejectReason#INVALID_SAMPLE_SELECTION} naming the part
     *     that is wrong and what was expected
     */
    static BitSet parse(String text, int samples) throws RejectedException {
        BitSet selected = new BitSet(samples);
        for (String part : text.split(",", -1)) {
            String p = part.strip();
            int dash = p.indexOf('-');
            int from = index(text, p, dash < 0 ? p : p.substring(0, dash), samples);
            int to = dash < 0 ? from : index(text, p, p.substring(dash + 1), samples);
            if (to < from) {
                throw refused(text, "the range '" + p + "' runs backwards", samples);
            }
            selected.set(from, to + 1);
        }
        return selected;
    }

    private static int index(String text, String part, String digits, int samples) throws RejectedException {
        if (digits.isEmpty() || digits.length() > MAX_DIGITS || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw refused(text, "'" + RejectedException.shorten(part) + "' is not a sample index or a range of them", samples);
        }
        int i = Integer.parseInt(digits);
        if (i >= samples) {
            throw refused(text, "it names sample " + i + " but the record carries " + samples + (samples == 1 ? " sample" : " samples"),
                    samples);
        }
        return i;
    }

    private static RejectedException refused(String text, String why, int samples) {
        return new RejectedException(RejectReason.INVALID_SAMPLE_SELECTION, "header " + DeadLetters.SAMPLES + " '"
                + RejectedException.shorten(text) + "': " + why + expected(samples));
    }

    private static String expected(int samples) {
        return "; expected indices of the record's samples and ranges of them, comma-separated, within 0-" + (samples - 1)
                + " (e.g. 0,2-3), or no header to take every sample";
    }
}
