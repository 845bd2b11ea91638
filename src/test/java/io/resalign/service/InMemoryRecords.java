package io.resalign.service;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Keeps monitor records in a sorted map, as the RocksDB store does, and counts what is written. */
final class InMemoryRecords implements StateRecords {
    final TreeMap<String, byte[]> values = new TreeMap<>();
    long bytesPut;
    int puts;

    InMemoryRecords() {}

    InMemoryRecords(InMemoryRecords other) {
        other.values.forEach((k, v) -> values.put(k, v.clone()));
    }

    @Override
    public byte[] get(String key) {
        return values.get(key);
    }

    @Override
    public void put(String key, byte[] value) {
        values.put(key, value.clone());
        bytesPut += value.length;
        puts++;
    }

    @Override
    public void delete(String key) {
        values.remove(key);
    }

    @Override
    public List<String> keysWithPrefix(String prefix) {
        return new ArrayList<>(values.subMap(prefix, prefix + Character.MAX_VALUE).keySet());
    }

    /** Returns whether both hold the same keys with the same bytes. */
    boolean sameAs(InMemoryRecords other) {
        return values.keySet().equals(other.values.keySet())
                && values.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), other.values.get(e.getKey())));
    }

    /** Returns the size of the largest value. */
    int largest() {
        return values.values().stream().mapToInt(v -> v.length).max().orElse(0);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, byte[]> e : values.entrySet()) {
            out.append(e.getKey()).append('=').append(e.getValue().length).append("B ");
        }
        return out.toString();
    }
}
