package io.resalign.streams;

import io.resalign.drift.CompactEncoding;
import io.resalign.drift.ModelVersion;
import io.resalign.service.MonitorRecords;
import io.resalign.service.StateRecords;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Carries the monitors that builds before the two stages kept in the analysis store (one per source
 * partition, in {@code model-monitors}) to the monitor stage, so that an upgrade keeps the reference.
 * The analysis task sends each record of a model version's state as one part (its key and bytes,
 * the head last) on the feature-row topic, keyed by the model version; the monitor task stages the
 * parts under {@value #STAGED} in its own store and, at the head, moves them into place if it holds
 * no state of that model version yet (the first source partition's state wins when several had one:
 * producers that did not key by model split a model into one monitor per partition), or drops them.
 * The analysis task deletes its copy once a commit has acknowledged the parts ({@link PendingSamples}).
 * Staged in the store, not in memory, so that a commit between two parts loses none; written head
 * last, so that a crash leaves either the whole state or no head.
 */
final class MonitorTransfer {
    private static final Logger LOG = Logger.getLogger(MonitorTransfer.class);
    /** The first byte of a part: the monitor stage tells parts from rows by it. */
    static final byte TAG = 'T';
    /** The prefix of staged parts in the monitor store. */
    static final String STAGED = "!import/";

    /** One record of a model version's state: the source task's partition, its key, its bytes, and whether it is the head (the last part). */
    record Part(ModelVersion mv, int sourcePartition, String key, byte[] value, boolean head) {
        byte[] toBytes() {
            return CompactEncoding.encode(TAG, out -> {
                out.writeUTF(mv.model());
                out.writeUTF(mv.version());
                out.writeInt(sourcePartition);
                out.writeUTF(key);
                CompactEncoding.writeBlock(out, value);
                out.writeBoolean(head);
            });
        }

        static Part fromBytes(byte[] bytes) {
            return CompactEncoding.decode(bytes, TAG, "monitor transfer part", in -> new Part(new ModelVersion(in.readUTF(), in.readUTF()),
                    in.readInt(), in.readUTF(), CompactEncoding.readBlock(in), in.readBoolean()));
        }
    }

    private MonitorTransfer() {}

    /** Returns whether a value of the feature-row topic is a transfer part. */
    static boolean isPart(byte[] value) {
        return value != null && value.length > 0 && value[0] == TAG;
    }

    /** Returns the parts of {@code mv}'s state in an analysis store, the head last; empty when it holds none. */
    static List<Part> parts(StateRecords analysisStore, ModelVersion mv, int sourcePartition) {
        MonitorRecords.migrateKeys(analysisStore, mv);
        List<String> keys = MonitorRecords.keysOf(analysisStore, mv);
        String head = MonitorRecords.headKey(mv);
        return keys.stream().map(k -> new Part(mv, sourcePartition, k, analysisStore.get(k), k.equals(head))).toList();
    }

    /**
     * Takes a part in the monitor store: staged, and at the head moved into place when the store holds
     * no state of the model version, else dropped. Returns whether a state was moved in.
     */
    static boolean receive(StateRecords monitorStore, Part part) {
        String staging = STAGED + part.sourcePartition() + "/";
        if (!part.head()) {
            monitorStore.put(staging + part.key(), part.value());
            return false;
        }
        List<String> staged = monitorStore.keysWithPrefix(staging + MonitorRecords.headKey(part.mv()) + "/");
        boolean free = monitorStore.get(MonitorRecords.headKey(part.mv())) == null;
        if (free) {
            for (String k : staged) {
                monitorStore.put(k.substring(staging.length()), monitorStore.get(k));
            }
            monitorStore.put(MonitorRecords.headKey(part.mv()), part.value());
            LOG.infof("Monitor state of %s moved from the analysis store of partition %d, where builds before the two stages kept it",
                    part.mv(), part.sourcePartition());
        } else {
            LOG.warnf("Monitor state of %s from the analysis store of partition %d is dropped: the monitor stage holds one already (of"
                    + " another partition, or collected since); builds before the two stages kept a monitor per partition when"
                    + " producers did not key by model", part.mv(), part.sourcePartition());
        }
        staged.forEach(monitorStore::delete);
        return free;
    }
}
