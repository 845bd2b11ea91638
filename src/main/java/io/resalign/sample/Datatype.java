package io.resalign.sample;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;

/**
 * Lists the Open Inference Protocol tensor datatypes that a sample may use, with their size in
 * the binary form and the range of values they hold. BYTES is named so that it can be refused
 * with its own reason.
 */
public enum Datatype {
    BOOL(1, 0, 1, true),
    UINT8(1, 0, 255, true),
    UINT16(2, 0, 65_535, true),
    UINT32(4, 0, 4_294_967_295d, true),
    UINT64(8, 0, 18_446_744_073_709_551_615d, true),
    INT8(1, -128, 127, true),
    INT16(2, -32_768, 32_767, true),
    INT32(4, -2_147_483_648d, 2_147_483_647d, true),
    INT64(8, -9_223_372_036_854_775_808d, 9_223_372_036_854_775_807d, true),
    FP16(2, -65_504, 65_504, false),
    BF16(2, -Float.MAX_VALUE, Float.MAX_VALUE, false),
    FP32(4, -Float.MAX_VALUE, Float.MAX_VALUE, false),
    /** Held as float32 by the engine: values beyond float32's range are refused. */
    FP64(8, -Float.MAX_VALUE, Float.MAX_VALUE, false),
    /** Variable-length strings: never a replayable tensor. */
    BYTES(0, 0, 0, false);

    private final int size;
    private final double min;
    private final double max;
    private final boolean integral;

    Datatype(int size, double min, double max, boolean integral) {
        this.size = size;
        this.min = min;
        this.max = max;
        this.integral = integral;
    }

    /** Returns the datatype of a V2 name (case-sensitive, as the protocol spells them). */
    public static Optional<Datatype> parse(String name) {
        for (Datatype d : values()) {
            if (d.name().equals(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** Returns the names a record may use, for messages. */
    public static String supportedNames() {
        return Arrays.toString(Arrays.stream(values()).filter(d -> d != BYTES).toArray());
    }

    /** Returns the bytes per element in the binary form. */
    public int size() {
        return size;
    }

    /** Returns whether values must be integers. */
    public boolean integral() {
        return integral;
    }

    /** Returns whether {@code v} lies in the datatype's range. */
    public boolean inRange(double v) {
        return v >= min && v <= max;
    }

    /** Returns the range as text, for messages. */
    public String range() {
        if (this == BOOL) {
            return "false/true (0 or 1)";
        }
        return integral ? "[" + (long) min + ", " + (this == UINT64 ? "18446744073709551615" : Long.toString((long) max)) + "]"
                : "finite and within +-" + (float) max;
    }

    /**
     * Reads element {@code i} of a little-endian buffer as a double. Integer types are exact up
     * to 2^53 (beyond that the engine's float32 cannot tell the values apart anyway).
     */
    public double read(ByteBuffer b, int i) {
        int at = i * size;
        return switch (this) {
            case BOOL, UINT8 -> b.get(at) & 0xff;
            case INT8 -> b.get(at);
            case UINT16 -> b.getShort(at) & 0xffff;
            case INT16 -> b.getShort(at);
            case UINT32 -> b.getInt(at) & 0xffff_ffffL;
            case INT32 -> b.getInt(at);
            case UINT64 -> unsigned(b.getLong(at));
            case INT64 -> b.getLong(at);
            case FP16 -> halfToFloat(b.getShort(at));
            case BF16 -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
            case FP32 -> b.getFloat(at);
            case FP64 -> b.getDouble(at);
            case BYTES -> throw new IllegalStateException("BYTES has no fixed-size elements");
        };
    }

    private static double unsigned(long v) {
        double d = (double) (v & Long.MAX_VALUE);
        return v < 0 ? d + 0x1p63 : d;
    }

    /** Converts IEEE 754 binary16 bits to a float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f80_0000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
