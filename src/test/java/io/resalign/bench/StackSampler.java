package io.resalign.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Profiles a thread roughly by sampling its stack at a fixed interval and attributing each sample
 * to a part named by a classifier. The two-argument constructor attributes to the phases of the
 * engine's fast path (forward, Jacobian build, SVD products, small CPU problems, cross-alignment,
 * ...); {@link StreamThreadProfile} attributes a Kafka Streams thread's time. DJL's work happens in
 * native calls, where the calling Java frame stays on the stack, so the attribution is by the Java
 * method that asked for the work.
 */
final class StackSampler implements AutoCloseable {
    /** Phases in report order. */
    static final String[] PHASES = {"forward (trace h_0..h_L)", "linearise (ReLU masks)", "Jacobian build (dense + stacking)",
        "SVD: J products", "SVD: orthonormalisation products", "SVD: small r x r problems (CPU)", "SVD: Gaussian sketch (Java RNG)",
        "SVD: other", "self-alignment", "cross-alignment", "RA1 + metric assembly", "outside analyse"};

    private final List<String> parts;
    private final Thread sampler;
    private final Map<String, Integer> counts = new TreeMap<>();
    private volatile boolean running = true;
    private int total;

    /** Samples {@code target} and attributes each sample to a phase of the engine ({@link #PHASES}). */
    StackSampler(Thread target, long intervalMillis) {
        this(target, intervalMillis, List.of(PHASES), StackSampler::classify);
    }

    /** Samples {@code target} every {@code intervalMillis}; {@code classifier} names one of {@code parts} per stack. */
    StackSampler(Thread target, long intervalMillis, List<String> parts, Function<StackTraceElement[], String> classifier) {
        this.parts = parts;
        this.sampler = new Thread(() -> {
            while (running) {
                String phase = classifier.apply(target.getStackTrace());
                synchronized (counts) {
                    counts.merge(phase, 1, Integer::sum);
                    total++;
                }
                try {
                    Thread.sleep(intervalMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "stack-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** Returns the share of samples per part (0..1), parts in report order, and stops sampling. */
    Map<String, Double> shares() {
        close();
        Map<String, Double> out = new LinkedHashMap<>();
        synchronized (counts) {
            for (String p : parts) {
                out.put(p, total == 0 ? 0 : counts.getOrDefault(p, 0) / (double) total);
            }
        }
        return out;
    }

    /** Returns the number of stack samples taken. */
    int samples() {
        synchronized (counts) {
            return total;
        }
    }

    static String classify(StackTraceElement[] stack) {
        boolean analyse = false;
        boolean svd = false;
        boolean product = false;
        String first = null;
        for (StackTraceElement e : stack) {
            String c = e.getClassName();
            String m = e.getMethodName();
            if (c.endsWith("AlignmentEngine") && m.equals("analyse")) {
                analyse = true;
            }
            if (c.endsWith("RandomizedSvd")) {
                svd = true;
            }
            if (first == null) {
                if (c.endsWith("AlignmentEngine") && m.equals("crossAlignment")) {
                    first = "cross-alignment";
                } else if (c.endsWith("AlignmentEngine") && m.equals("selfDots")) {
                    first = "self-alignment";
                } else if (c.endsWith("SmallMatrices")) {
                    first = "SVD: small r x r problems (CPU)";
                } else if (c.endsWith("RandomizedSvd") && m.equals("gaussian")) {
                    first = "SVD: Gaussian sketch (Java RNG)";
                } else if (c.endsWith("RandomizedSvd") && (m.equals("orthonormaliseOnce") || m.equals("multiply"))) {
                    first = "SVD: orthonormalisation products";
                } else if ((m.equals("apply") || m.equals("applyTranspose")) && c.startsWith("io.resalign.engine")) {
                    product = true;
                } else if (m.equals("dense") && c.startsWith("io.resalign.engine")) {
                    first = "Jacobian build (dense + stacking)";
                } else if (m.equals("linearize") && c.startsWith("io.resalign.engine")) {
                    first = "linearise (ReLU masks)";
                } else if (c.endsWith("Trajectory") && m.equals("trace")) {
                    first = "forward (trace h_0..h_L)";
                }
            }
        }
        if (!analyse) {
            return "outside analyse";
        }
        if (first != null) {
            return first;
        }
        if (svd) {
            return product ? "SVD: J products" : "SVD: other";
        }
        for (StackTraceElement e : stack) {
            if (e.getClassName().endsWith("AlignmentEngine") && e.getMethodName().equals("decompose")) {
                return "Jacobian build (dense + stacking)";
            }
        }
        return "RA1 + metric assembly";
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
        try {
            sampler.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
