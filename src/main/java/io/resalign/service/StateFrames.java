package io.resalign.service;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Frames the service's binary state the way the drift package frames its own (a type tag, a
 * format version, big-endian fields), and nests the drift codecs' byte arrays length-prefixed.
 */
final class StateFrames {
    static final byte FORMAT_VERSION = 1;

    private StateFrames() {}

    interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    static byte[] encode(byte tag, Writer body) {
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

    static <T> T decode(byte[] bytes, byte tag, String what, Reader<T> body) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte actualTag = in.readByte();
            byte version = in.readByte();
            if (actualTag != tag) {
                throw new IllegalArgumentException("not a serialised " + what + ": type tag " + actualTag + ", expected " + tag);
            }
            if (version != FORMAT_VERSION) {
                throw new IllegalArgumentException(what + " format version " + version + " is not supported (this build reads version "
                        + FORMAT_VERSION + ")");
            }
            T value = body.read(in);
            if (in.available() > 0) {
                throw new IllegalArgumentException(what + " has " + in.available() + " trailing bytes");
            }
            return value;
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated or corrupt " + what + " (" + bytes.length + " bytes): " + e.getMessage(), e);
        }
    }

    static void writeBlock(DataOutputStream out, byte[] block) throws IOException {
        out.writeInt(block.length);
        out.write(block);
    }

    static byte[] readBlock(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("nested block of " + length + " bytes, " + in.available() + " left");
        }
        return in.readNBytes(length);
    }
}
