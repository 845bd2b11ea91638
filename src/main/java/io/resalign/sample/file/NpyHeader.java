package io.resalign.sample.file;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the header dictionary of an NPY file, a Python literal such as
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (10, 784), }}.
 */
final class NpyHeader {

    final String descr;
    final boolean fortranOrder;
    final long[] shape;

    private NpyHeader(String descr, boolean fortranOrder, long[] shape) {
        this.descr = descr;
        this.fortranOrder = fortranOrder;
        this.shape = shape;
    }

    /** Parses {@code text}, the header of {@code file} starting at byte {@code offset}. */
    static NpyHeader parse(String text, Path file, long offset) throws InputFormatException {
        Object parsed = new Literal(text, file, offset).parseAll();
        if (!(parsed instanceof Map)) {
            throw new InputFormatException(file, "byte " + offset,
                    "npy header is not a dictionary: " + text.strip());
        }
        Map<?, ?> dict = (Map<?, ?>) parsed;
        Object descr = dict.get("descr");
        Object fortran = dict.get("fortran_order");
        Object shape = dict.get("shape");
        if (descr == null || fortran == null || shape == null || dict.size() != 3) {
            throw new InputFormatException(file, "byte " + offset,
                    "npy header must have exactly the keys 'descr', 'fortran_order' and 'shape'; found "
                            + dict.keySet());
        }
        if (!(descr instanceof String)) {
            throw new InputFormatException(file, "byte " + offset,
                    "unsupported npy dtype " + descr + " (a structured dtype); supported: " + NpyReader.SUPPORTED);
        }
        if (!(fortran instanceof Boolean)) {
            throw new InputFormatException(file, "byte " + offset,
                    "npy header 'fortran_order' must be True or False, found " + fortran);
        }
        if (!(shape instanceof List)) {
            throw new InputFormatException(file, "byte " + offset,
                    "npy header 'shape' must be a tuple of integers, found " + shape);
        }
        List<?> dims = (List<?>) shape;
        long[] s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) {
            if (!(dims.get(i) instanceof Long) || (Long) dims.get(i) < 0) {
                throw new InputFormatException(file, "byte " + offset,
                        "npy header 'shape' must be a tuple of non-negative integers, found " + shape);
            }
            s[i] = (Long) dims.get(i);
        }
        return new NpyHeader((String) descr, (Boolean) fortran, s);
    }

    /** A recursive-descent parser for the few Python literals an NPY header uses. */
    private static final class Literal {
        private final String text;
        private final Path file;
        private final long offset;
        private int pos;

        Literal(String text, Path file, long offset) {
            this.text = text;
            this.file = file;
            this.offset = offset;
        }

        Object parseAll() throws InputFormatException {
            Object value = value();
            skipSpace();
            if (pos != text.length()) {
                throw error("unexpected text after the header dictionary");
            }
            return value;
        }

        private Object value() throws InputFormatException {
            skipSpace();
            if (pos >= text.length()) {
                throw error("header ends early");
            }
            char c = text.charAt(pos);
            switch (c) {
                case '{': return dict();
                case '(': return sequence(')');
                case '[': return sequence(']');
                case '\'': case '"': return string();
                default:
                    if (c == '-' || Character.isDigit(c)) {
                        return integer();
                    }
                    if (text.startsWith("True", pos)) {
                        pos += 4;
                        return Boolean.TRUE;
                    }
                    if (text.startsWith("False", pos)) {
                        pos += 5;
                        return Boolean.FALSE;
                    }
                    throw error("unexpected character '" + c + "'");
            }
        }

        private Map<Object, Object> dict() throws InputFormatException {
            Map<Object, Object> map = new LinkedHashMap<>();
            pos++;
            while (true) {
                skipSpace();
                if (peek() == '}') {
                    pos++;
                    return map;
                }
                Object key = value();
                skipSpace();
                expect(':');
                map.put(key, value());
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() != '}') {
                    throw error("expected ',' or '}'");
                }
            }
        }

        private List<Object> sequence(char close) throws InputFormatException {
            List<Object> list = new ArrayList<>();
            pos++;
            while (true) {
                skipSpace();
                if (peek() == close) {
                    pos++;
                    return list;
                }
                list.add(value());
                skipSpace();
                if (peek() == ',') {
                    pos++;
                } else if (peek() != close) {
                    throw error("expected ',' or '" + close + "'");
                }
            }
        }

        private String string() throws InputFormatException {
            char quote = text.charAt(pos++);
            int end = text.indexOf(quote, pos);
            if (end < 0) {
                throw error("unterminated string");
            }
            String s = text.substring(pos, end);
            pos = end + 1;
            return s;
        }

        private Long integer() throws InputFormatException {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
                pos++;
            }
            if (pos < text.length() && text.charAt(pos) == 'L') {
                pos++; // Python 2 long suffix
            }
            String digits = text.substring(start, pos).replace("L", "");
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw error("bad integer '" + digits + "'");
            }
        }

        private void expect(char c) throws InputFormatException {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            pos++;
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private void skipSpace() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }

        private InputFormatException error(String what) {
            return new InputFormatException(file, "byte " + (offset + pos),
                    "malformed npy header: " + what + " at column " + pos + " of " + text.strip());
        }
    }
}
