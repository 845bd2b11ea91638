package io.resalign.service;

import io.resalign.drift.FeatureSchema;
import io.resalign.engine.AlignmentEngine;
import io.resalign.engine.arch.ResidualNetwork;
import io.resalign.engine.model.ModelManifest;
import io.resalign.sample.ModelSpec;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Holds one loaded model version of the {@link ModelRegistry}: its network and engine, what the
 * decoder and the monitors need to know of it, and its engine time so far. Its monitor lock
 * serialises the engine.
 */
record LoadedModel(ModelManifest manifest, ResidualNetwork network, AlignmentEngine engine, FeatureSchema schema,
        List<ModelStatus.Block> blocks, ModelSpec spec, AtomicLong engineNanos, AtomicLong engineSamples) {

    /** Releases the engine and the weights. */
    void close() {
        engine.close();
        network.close();
    }
}
