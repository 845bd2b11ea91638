package io.resalign.sample;

import java.util.Arrays;

/**
 * Describes what the model server answered for a sample: a class index, or the logits from which
 * the class is their argmax.
 */
public sealed interface ServedPrediction permits ServedPrediction.ClassIndex, ServedPrediction.Logits {

    /** Returns the predicted class index. */
    int predictedClass();

    /** A class index in {@code [0, C)}. */
    record ClassIndex(int index) implements ServedPrediction {
        @Override
        public int predictedClass() {
            return index;
        }
    }

    /** C finite logits, one per class of the model. */
    record Logits(float[] values) implements ServedPrediction {
        @Override
        public int predictedClass() {
            int best = 0;
            for (int i = 1; i < values.length; i++) {
                if (values[i] > values[best]) {
                    best = i;
                }
            }
            return best;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Logits l && Arrays.equals(values, l.values);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(values);
        }

        @Override
        public String toString() {
            return "Logits" + Arrays.toString(values);
        }
    }
}
