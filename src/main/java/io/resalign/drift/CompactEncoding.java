package io.resalign.drift;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes and reads the framing shared by the binary state codecs (drift and service): a type tag,
 * a format version, big-endian fields, the feature names, float32 sample rows and nested
 * length-prefixed blocks.
 */
public final class CompactEncoding {
    /** The format version every codec writes and reads. */
    public static final byte FORMAT_VERSION = 1;

    private CompactEncoding() {}

    /** Writes a codec's body. */
    public interface Writer {
        /** Writes the body to the stream. */
        void write(DataOutputStream out) throws IOException;
    }

    /** Reads a codec's body. */
    public interface Reader<T> {
        /** Reads the body from the stream. */
        T read(DataInputStream in) throws IOException;
    }

    /** Returns tag, version and body as bytes. */
    public static byte[] encode(byte tag, Writer body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(tag);
            out.writeByte(FORMAT_VERSION);
            body.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Reads bytes written by {@link #encode}, checking tag, version and that nothing trails. */
    public static <T> T decode(byte[] bytes, byte tag, String what, Reader<T> body) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte actualTag = in.readByte();
            byte version = in.readByte();
            if (actualTag != tag) {
                throw new IllegalArgumentException("not a serialised " + what + ": type tag "
                        + actualTag + ", expected " + tag);
            }
            if (version != FORMAT_VERSION) {
                throw new IllegalArgumentException(what + " format version " + version
                        + " is not supported (this build reads version " + FORMAT_VERSION + ")");
            }
            T value = body.read(in);
            if (in.available() > 0) {
                throw new IllegalArgumentException(what + " has " + in.available() + " trailing bytes");
            }
            return value;
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated or corrupt " + what + " (" + bytes.length
                    + " bytes): " + e.getMessage(), e);
        }
    }

    /** Writes the feature names. */
    public static void writeSchema(DataOutputStream out, FeatureSchema schema) throws IOException {
        out.writeShort(schema.size());
        for (String name : schema.names()) {
            out.writeUTF(name);
        }
    }

    /** Reads feature names written by {@link #writeSchema}. */
    public static FeatureSchema readSchema(DataInputStream in) throws IOException {
        int size = in.readUnsignedShort();
        List<String> names = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            names.add(in.readUTF());
        }
        return FeatureSchema.of(names);
    }

    /** Writes {@code length} values of row-major float32 rows, length-prefixed. */
    public static void writeRows(DataOutputStream out, float[] rows, int length) throws IOException {
        out.writeInt(length);
        for (int i = 0; i < length; i++) {
            out.writeFloat(rows[i]);
        }
    }

    /** Reads rows written by {@link #writeRows}, checking they are whole rows of {@code featureCount} values. */
    public static float[] readRows(DataInputStream in, int featureCount) throws IOException {
        int length = in.readInt();
        if (length < 0 || length % featureCount != 0) {
            throw new IOException("row data of " + length + " values is not a whole number of "
                    + featureCount + "-feature rows");
        }
        float[] rows = new float[length];
        for (int i = 0; i < length; i++) {
            rows[i] = in.readFloat();
        }
        return rows;
    }

    /** Writes a nested codec's bytes, length-prefixed. */
    public static void writeBlock(DataOutputStream out, byte[] block) throws IOException {
        out.writeInt(block.length);
        out.write(block);
    }

    /** Reads a block written by {@link #writeBlock}. */
    public static byte[] readBlock(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("nested block of " + length + " bytes, " + in.available() + " left");
        }
        return in.readNBytes(length);
    }
}
