package io.resalign.sample.file;

import java.util.Arrays;

/** Collects floats into an array that grows as needed. */
final class FloatAccumulator {

    private float[] values = new float[1024];
    private int size;

    void add(float v) {
        if (size == values.length) {
            if (size >= Shapes.MAX_ELEMENTS) {
                throw new IllegalStateException("more than " + Shapes.MAX_ELEMENTS + " values");
            }
            values = Arrays.copyOf(values, (int) Math.min(Shapes.MAX_ELEMENTS, 2L * size));
        }
        values[size++] = v;
    }

    void addAll(float[] more) {
        for (float v : more) {
            add(v);
        }
    }

    int size() {
        return size;
    }

    float[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
