package io.resalign.drift;

import java.util.Optional;

/**
 * Holds the reference of one model version through its life: collecting the first N samples, then
 * ready with a profile; an operator may pin a window as the profile or reset it to collect again.
 *
 * <p>While collecting, samples go to the reference and are not tested (a window must not be tested
 * against itself). Every pin and reset starts a new {@link #generation()}, so that a store keeping
 * the reference in parts can tell the parts of the current reference from those of a replaced one.
 * {@link #toBytes()} is a single-value form (the service's monitor state before it was split into
 * bounded records; read for migration).
 */
public final class ReferenceState {
    private static final byte TAG = 'S';

    private final int targetSize;
    private WindowAggregate collecting;
    private ReferenceProfile profile;
    private long generation;

    /** Creates a state that collects the next {@code targetSize} samples of {@code schema}. */
    public ReferenceState(FeatureSchema schema, int targetSize) {
        if (targetSize < 2) {
            throw new IllegalArgumentException("reference size must be at least 2, was " + targetSize);
        }
        this.targetSize = targetSize;
        this.collecting = new WindowAggregate(schema);
    }

    private ReferenceState(int targetSize, WindowAggregate collecting, ReferenceProfile profile, long generation) {
        this.targetSize = targetSize;
        this.collecting = collecting;
        this.profile = profile;
        this.generation = generation;
    }

    /** Returns a state that is collecting (it holds {@code collecting}) in generation {@code generation}. */
    public static ReferenceState collecting(int targetSize, long generation, WindowAggregate collecting) {
        if (collecting.count() >= targetSize) {
            throw new IllegalArgumentException("a collecting reference holds fewer than its " + targetSize + " samples, not "
                    + collecting.count());
        }
        return new ReferenceState(targetSize, collecting, null, generation);
    }

    /** Returns a state that is ready with {@code profile} in generation {@code generation}. */
    public static ReferenceState ready(int targetSize, long generation, ReferenceProfile profile) {
        return new ReferenceState(targetSize, null, profile, generation);
    }

    /**
     * Offers a sample: while collecting it is taken (and the profile is created, at
     * {@code timestamp}, when the N-th sample arrives) and this returns true; once ready it
     * returns false and the caller tests the sample's window instead.
     */
    public boolean offer(FeatureVector sample, long timestamp) {
        if (profile != null) {
            return false;
        }
        collecting.add(sample, timestamp);
        if (collecting.count() >= targetSize) {
            profile = ReferenceProfile.of(collecting, ReferenceSource.FIRST_SAMPLES, timestamp);
            collecting = null;
        }
        return true;
    }

    /** Makes {@code window} the reference, created at {@code now}, whatever the state was. */
    public void pin(WindowAggregate window, long now) {
        profile = ReferenceProfile.of(window, ReferenceSource.PINNED_WINDOW, now);
        collecting = null;
        generation++;
    }

    /** Drops the profile and starts collecting the next N samples. */
    public void reset() {
        FeatureSchema schema = profile != null ? profile.schema() : collecting.schema();
        profile = null;
        collecting = new WindowAggregate(schema);
        generation++;
    }

    /** Returns the profile once ready. */
    public Optional<ReferenceProfile> profile() {
        return Optional.ofNullable(profile);
    }

    /** Returns whether the state is still collecting its first samples. */
    public boolean isCollecting() {
        return profile == null;
    }

    /** Returns how many samples have been collected so far (the profile's count once ready). */
    public int collectedCount() {
        return profile != null ? profile.sampleCount() : collecting.count();
    }

    /** Returns the number of pins and resets so far: which reference this is. */
    public long generation() {
        return generation;
    }

    /** Returns the samples collected so far while collecting; empty once ready. */
    public Optional<WindowAggregate> collectingSamples() {
        return Optional.ofNullable(collecting);
    }

    /** Returns a copy of reference samples {@code from} (inclusive) to {@code to} (exclusive), collected or ready. */
    public float[] rows(int from, int to) {
        return profile != null ? profile.rows(from, to) : collecting.rows(from, to);
    }

    /** Returns the number of samples a first-N reference takes. */
    public int targetSize() {
        return targetSize;
    }

    /** Returns the compact binary form. */
    public byte[] toBytes() {
        return CompactEncoding.encode(TAG, out -> {
            out.writeInt(targetSize);
            byte[] body = profile != null ? profile.toBytes() : collecting.toBytes();
            out.writeBoolean(profile != null);
            out.writeInt(body.length);
            out.write(body);
        });
    }

    /** Reads a state written by {@link #toBytes()} (generation 0: the form has none). */
    public static ReferenceState fromBytes(byte[] bytes) {
        return CompactEncoding.decode(bytes, TAG, "reference state", in -> {
            int targetSize = in.readInt();
            boolean ready = in.readBoolean();
            byte[] body = in.readNBytes(in.readInt());
            return ready
                    ? new ReferenceState(targetSize, null, ReferenceProfile.fromBytes(body), 0)
                    : new ReferenceState(targetSize, WindowAggregate.fromBytes(body), null, 0);
        });
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ReferenceState other && targetSize == other.targetSize && generation == other.generation
                && java.util.Objects.equals(collecting, other.collecting)
                && java.util.Objects.equals(profile, other.profile);
    }

    @Override
    public int hashCode() {
        return targetSize;
    }
}
