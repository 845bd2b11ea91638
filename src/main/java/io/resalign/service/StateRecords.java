package io.resalign.service;

import java.util.List;
import java.util.function.Function;

/**
 * Gives a {@link ModelMonitor} the key-value store it keeps its state in (the service's
 * {@code model-monitors} store; a map in tests): string keys, byte values, one record per key.
 */
public interface StateRecords {
    /** Returns the value under {@code key}, or null. */
    byte[] get(String key);

    /** Writes {@code value} under {@code key}. */
    void put(String key, byte[] value);

    /** Deletes the value under {@code key}, if any. */
    void delete(String key);

    /** Returns the keys that start with {@code prefix}. */
    List<String> keysWithPrefix(String prefix);

    /** Returns records that can only be read through {@code get} (a queryable store, for tests and tools). */
    static StateRecords readOnly(Function<String, byte[]> get) {
        return new StateRecords() {
            @Override
            public byte[] get(String key) {
                return get.apply(key);
            }

            @Override
            public void put(String key, byte[] value) {
                throw new UnsupportedOperationException("read-only monitor records: cannot write " + key);
            }

            @Override
            public void delete(String key) {
                throw new UnsupportedOperationException("read-only monitor records: cannot delete " + key);
            }

            @Override
            public List<String> keysWithPrefix(String prefix) {
                throw new UnsupportedOperationException("read-only monitor records: cannot list " + prefix + "*");
            }
        };
    }
}
