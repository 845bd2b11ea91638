package io.resalign.streams;

import io.resalign.service.StateRecords;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** Gives the task's monitor store ({@link TopologyProducer#MONITOR_STORE}) the form monitors and pending records are kept in. */
final class MonitorStore {
    private MonitorStore() {}

    /** Returns the monitor store as the records a monitor saves to and loads from. */
    static StateRecords records(KeyValueStore<String, byte[]> store) {
        return new StateRecords() {
            @Override
            public byte[] get(String key) {
                return store.get(key);
            }

            @Override
            public void put(String key, byte[] value) {
                store.put(key, value);
            }

            @Override
            public void delete(String key) {
                store.delete(key);
            }

            @Override
            public List<String> keysWithPrefix(String prefix) {
                List<String> keys = new ArrayList<>();
                try (KeyValueIterator<String, byte[]> it = store.prefixScan(prefix, new StringSerializer())) {
                    it.forEachRemaining(kv -> keys.add(kv.key));
                }
                return keys;
            }
        };
    }

}
