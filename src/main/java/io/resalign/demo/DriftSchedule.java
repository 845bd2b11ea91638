package io.resalign.demo;

import io.resalign.config.ResalignConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

import io.resalign.demo.ImageTransforms.Layout;

/**
 * The demo's drift schedule: which transform each produced sample gets, by its sequence number.
 *
 * <p>Grammar (whitespace around tokens is ignored):
 * <pre>
 *   schedule  := phase ("," phase)*
 *   phase     := transform ("+" transform)* ["*" count]
 *   transform := "clean" | "noise:" ["sigma="] S | "contrast:" ["factor="] F
 *              | "brightness:" ["delta="] D | "rotate:" ["degrees="] D | "occlude:" ["size="] N
 * </pre>
 * A phase lasts {@code count} samples. When every phase has a count, the schedule repeats from the
 * first phase; the last phase alone may omit its count, and then lasts forever (no repeat).
 * {@code +} applies several transforms in order, e.g. {@code rotate:15+noise:sigma=30*500}.
 * The default ({@code resalign.demo.schedule}'s) is 2,000 clean samples, then 2,000 with Gaussian pixel noise
 * of standard deviation 80, repeating.
 */
public final class DriftSchedule {

    /** The default schedule: 2,000 clean, 2,000 with noise sigma 80, repeating. */
    public static final String DEFAULT = ResalignConfig.DemoConfig.DEFAULT_SCHEDULE;

    private static final String TRANSFORMS = "clean, noise:sigma=S, contrast:F, brightness:DELTA, rotate:DEGREES, occlude:SIZE";

    /** One phase: transforms applied in order, for {@code count} samples (empty: forever). */
    public record Phase(List<Transform> transforms, OptionalLong count) {

        /** Checks the parts. */
        public Phase {
            transforms = List.copyOf(transforms);
            if (transforms.isEmpty()) {
                throw new IllegalArgumentException("a phase needs at least one transform");
            }
            Objects.requireNonNull(count, "count");
        }

        /** Returns whether the phase leaves images as they are. */
        public boolean clean() {
            return transforms.stream().allMatch(t -> t instanceof Transform.Clean);
        }

        /** Applies the phase's transforms in order. */
        public float[] apply(float[] image, Layout layout, SplittableRandom random) {
            float[] out = image;
            for (Transform t : transforms) {
                out = t.apply(out, layout, random);
            }
            return out;
        }

        /** Returns the phase without its count, e.g. {@code noise:sigma=80}: its name in logs and headers. */
        public String name() {
            return transforms.stream().map(Transform::toString).collect(Collectors.joining("+"));
        }

        @Override
        public String toString() {
            return name() + (count.isPresent() ? "*" + count.getAsLong() : "");
        }
    }

    private final List<Phase> phases;
    private final long cycle;

    private DriftSchedule(List<Phase> phases) {
        this.phases = List.copyOf(phases);
        boolean forever = this.phases.get(this.phases.size() - 1).count().isEmpty();
        this.cycle = forever ? -1 : this.phases.stream().mapToLong(p -> p.count().getAsLong()).sum();
    }

    /** Returns the phases in order. */
    public List<Phase> phases() {
        return phases;
    }

    /** Returns whether the schedule starts over after its last phase. */
    public boolean repeats() {
        return cycle > 0;
    }

    /** Returns the phase of the sample with the given sequence number (0 = first sample sent). */
    public Phase phaseAt(long sequence) {
        if (sequence < 0) {
            throw new IllegalArgumentException("negative sequence number " + sequence);
        }
        long s = cycle > 0 ? sequence % cycle : sequence;
        for (Phase p : phases) {
            if (p.count().isEmpty() || s < p.count().getAsLong()) {
                return p;
            }
            s -= p.count().getAsLong();
        }
        throw new AssertionError("unreachable: the last phase is open-ended or the cycle wraps");
    }

    /** Returns whether {@code sequence} is the first sample of a phase (0 included). */
    public boolean startsPhase(long sequence) {
        long s = cycle > 0 ? sequence % cycle : sequence;
        for (Phase p : phases) {
            if (s == 0) {
                return true;
            }
            if (p.count().isEmpty() || s < p.count().getAsLong()) {
                return false;
            }
            s -= p.count().getAsLong();
        }
        return false;
    }

    @Override
    public String toString() {
        return phases.stream().map(Phase::toString).collect(Collectors.joining(","));
    }

    /**
     * Parses a schedule.
     *
     * @throws IllegalArgumentException with a message that names the phase, the part that is
     *     wrong and the accepted form
     */
    public static DriftSchedule parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty drift schedule; expected e.g. '" + DEFAULT + "'");
        }
        String[] parts = text.split(",", -1);
        List<Phase> phases = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].trim();
            String where = "phase " + (i + 1) + " '" + part + "' of drift schedule '" + text.trim() + "'";
            if (part.isEmpty()) {
                throw new IllegalArgumentException(where + ": empty phase (a stray comma?)");
            }
            Phase phase = parsePhase(part, where);
            if (phase.count().isEmpty() && i < parts.length - 1) {
                throw new IllegalArgumentException(where + ": only the last phase may omit its '*COUNT'"
                        + " (then it lasts forever); write e.g. '" + part + "*1000'");
            }
            phases.add(phase);
        }
        return new DriftSchedule(phases);
    }

    private static Phase parsePhase(String part, String where) {
        String body = part;
        OptionalLong count = OptionalLong.empty();
        int star = part.lastIndexOf('*');
        if (star >= 0) {
            body = part.substring(0, star).trim();
            String c = part.substring(star + 1).trim();
            long n;
            try {
                n = Long.parseLong(c.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + ": the count after '*' must be a whole number of samples, got '" + c + "'");
            }
            if (n < 1) {
                throw new IllegalArgumentException(where + ": the count after '*' must be at least 1, got " + n);
            }
            count = OptionalLong.of(n);
            if (body.contains("*")) {
                throw new IllegalArgumentException(where + ": more than one '*'; write TRANSFORM*COUNT");
            }
        }
        List<Transform> transforms = new ArrayList<>();
        for (String t : body.split("\\+", -1)) {
            transforms.add(parseTransform(t.trim(), where));
        }
        return new Phase(transforms, count);
    }

    private static Transform parseTransform(String text, String where) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException(where + ": missing transform; expected one of " + TRANSFORMS);
        }
        int colon = text.indexOf(':');
        String name = (colon < 0 ? text : text.substring(0, colon)).trim().toLowerCase(Locale.ROOT);
        String arg = colon < 0 ? null : text.substring(colon + 1).trim();
        switch (name) {
            case "clean":
                if (arg != null) {
                    throw new IllegalArgumentException(where + ": 'clean' takes no value, got '" + text + "'");
                }
                return new Transform.Clean();
            case "noise": {
                double sigma = number(where, name, arg, "sigma", "noise:sigma=80");
                if (sigma < 0) {
                    throw new IllegalArgumentException(where + ": noise sigma must be >= 0 (pixel units, 0..255), got " + arg);
                }
                return new Transform.Noise(sigma);
            }
            case "contrast": {
                double f = number(where, name, arg, "factor", "contrast:0.4");
                if (f < 0) {
                    throw new IllegalArgumentException(where + ": contrast factor must be >= 0 (1 = unchanged), got " + arg);
                }
                return new Transform.Contrast(f);
            }
            case "brightness": {
                double delta = number(where, name, arg, "delta", "brightness:40");
                if (Math.abs(delta) > ImageTransforms.MAX) {
                    throw new IllegalArgumentException(where + ": brightness delta must be within -255..255 (pixel units; 0 = unchanged), got " + arg);
                }
                return new Transform.Brightness(delta);
            }
            case "rotate":
                return new Transform.Rotate(number(where, name, arg, "degrees", "rotate:30"));
            case "occlude": {
                double size = number(where, name, arg, "size", "occlude:10");
                if (size < 1 || size != Math.rint(size) || size > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException(where + ": occlude size must be a whole number of pixels >= 1, got " + arg);
                }
                return new Transform.Occlude((int) size);
            }
            default:
                throw new IllegalArgumentException(where + ": unknown transform '" + name + "'; expected one of " + TRANSFORMS);
        }
    }

    private static double number(String where, String name, String arg, String key, String example) {
        if (arg == null || arg.isEmpty()) {
            throw new IllegalArgumentException(where + ": '" + name + "' needs a value, e.g. '" + example + "'");
        }
        String value = arg;
        int eq = arg.indexOf('=');
        if (eq >= 0) {
            String k = arg.substring(0, eq).trim();
            if (!k.equalsIgnoreCase(key)) {
                throw new IllegalArgumentException(where + ": '" + name + "' takes '" + key + "=', got '" + k + "='; e.g. '" + example + "'");
            }
            value = arg.substring(eq + 1).trim();
        }
        double v;
        try {
            v = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": " + key + " of '" + name + "' must be a number, got '" + value + "'; e.g. '" + example + "'");
        }
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(where + ": " + key + " of '" + name + "' must be finite, got '" + value + "'");
        }
        return v;
    }

    static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
