package io.resalign.bench;

import ai.djl.ndarray.types.Shape;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.arch.ResidualBlock;
import io.resalign.engine.arch.ResidualNetwork;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Counts the floating-point work (multiply-adds as 2 FLOPs) of one sample of the engine on the
 * two large models, from the blocks' shapes and the engine's options, by category; the "large
 * products" are the Jacobian products, which a GPU would run.
 *
 * <p>resnet50 (matrix-free): a product with one tangent is one pass of the linearised
 * Bottleneck branch, its three convolutions (conv1 1x1 at the input resolution, conv2 3x3 with
 * the stride, conv3 1x1), counted at their nominal FLOPs in both directions; each watched block
 * takes 2 (q + 1) r of them (the sketch J V, q power steps of J^T Q and J Z, the Rayleigh-Ritz
 * J^T Q) and each ordered comparable pair k more (cross-alignment). vit_b_16 (dense, class
 * token): the explicit Jacobian J^T I (D cotangents through the token-0 branch: attention 8 D^2 +
 * 4 S D per cotangent, MLP 4 D M), then 2 (q + 1) products of 2 D^2 r per block with the power
 * steps q the engine took, and k products of 2 D^2 per ordered pair of the 24 blocks.
 * Orthonormalisation: 2 (q + 2) passes of 4 r^2 n (Gram and the triangular solve as a product).
 */
final class LargeModelWork {

    /**
     * One category of work.
     *
     * @param name category
     * @param gflop GFLOP per sample
     * @param large whether it counts among the large (Jacobian) products
     */
    record Line(String name, double gflop, boolean large) {}

    /**
     * The work of one sample.
     *
     * @param lines categories, in the order the engine does them
     * @param note what the count leaves out
     */
    record Work(List<Line> lines, String note) {
        double total() {
            return lines.stream().mapToDouble(Line::gflop).sum();
        }

        double large() {
            return lines.stream().filter(Line::large).mapToDouble(Line::gflop).sum();
        }
    }

    private LargeModelWork() {}

    /** Returns the work of one resnet50 sample over the watched blocks (indices into {@code network.blocks()}). */
    static Work resnet(ResidualNetwork network, List<Integer> watched, EngineOptions options, int k) {
        List<ResidualBlock> blocks = network.blocks();
        Shape first = blocks.get(0).inShape();
        long[] input = network.manifest().input().shape();
        // imagenet stem: 7x7 stride-2 conv to the first block's channels at twice its resolution, then a 3x3 max-pool
        double forward = 2.0 * input[0] * first.get(0) * 49 * (first.get(1) * 2) * (first.get(2) * 2);
        for (ResidualBlock b : blocks) {
            forward += branch(b)[0] + branch(b)[1] + branch(b)[2] + (b.isSquare() ? 0 : 2.0 * b.inShape().get(0) * b.outShape().size());
        }
        forward += 2.0 * blocks.get(blocks.size() - 1).outShape().get(0) * network.manifest().numClasses();
        int q = options.powerIterations();
        double linearise = 0;
        double products = 0;
        double orthonormalise = 0;
        Map<String, List<ResidualBlock>> groups = new LinkedHashMap<>();
        int stride2 = 0;
        for (int i : watched) {
            ResidualBlock b = blocks.get(i);
            double[] convs = branch(b);
            long in = b.inShape().size();
            long out = b.outShape().size();
            long r = Math.min(k + options.oversampling(), Math.min(in, out));
            linearise += convs[0] + convs[1];
            products += 2.0 * (q + 1) * r * (convs[0] + convs[1] + convs[2]);
            orthonormalise += 4.0 * r * r * (q + 2) * (in + out) + 2.0 * k * r * (in + out);
            if (b.isSquare()) {
                groups.computeIfAbsent(b.inShape().toString(), key -> new ArrayList<>()).add(b);
            }
            stride2 += b.inShape().get(1) != b.outShape().get(1) ? 1 : 0;
        }
        double cross = 0;
        for (List<ResidualBlock> group : groups.values()) {
            for (ResidualBlock target : group) {
                double[] c = branch(target);
                cross += (group.size() - 1) * (double) k * (c[0] + c[1] + c[2]);
            }
        }
        List<Line> lines = List.of(new Line("forward (trace h_0..h_L)", forward / 1e9, false),
                new Line("linearise (conv1, conv2 again for the masks)", linearise / 1e9, false),
                new Line("J products: 2(q+1) r linearised branch passes", products / 1e9, true),
                new Line("orthonormalisation: 2(q+2) x 4 r^2 n", orthonormalise / 1e9, false),
                new Line("cross-alignment: k passes per comparable pair", cross / 1e9, true));
        return new Work(lines, "nominal FLOPs; the engine's J^T u of the " + stride2 + " watched stride-2 block(s) convolves a zero-dilated"
                + " cotangent at the input resolution, 4x the nominal FLOPs of their conv2 (not counted)");
    }

    /** {conv1, conv2, conv3} FLOPs of one pass of a Bottleneck branch (torchvision: stride on conv2, width = out / 4). */
    private static double[] branch(ResidualBlock b) {
        Shape in = b.inShape();
        Shape out = b.outShape();
        long width = out.get(0) / 4;
        long outPixels = out.get(1) * out.get(2);
        return new double[] {2.0 * in.get(0) * width * in.get(1) * in.get(2), 2.0 * width * width * 9 * outPixels,
            2.0 * width * out.get(0) * outPixels};
    }

    /**
     * Returns the work of one vit_b_16 sample, every block watched, class-token Jacobians.
     *
     * @param mlpDim the MLP's hidden width M (3072 on vit_b_16)
     * @param patch the patch side p of conv_proj
     * @param stackSteps power steps the engine's dense decomposition took on each stack of blocks
     * @param blocksPerStack blocks per stack (the last one may hold fewer)
     */
    static Work vit(ResidualNetwork network, EngineOptions options, int k, long mlpDim, long patch, List<Integer> stackSteps,
            int blocksPerStack) {
        List<ResidualBlock> blocks = network.blocks();
        long tokens = blocks.get(0).inShape().get(0);
        long d = blocks.get(0).inShape().get(1);
        long[] input = network.manifest().input().shape();
        long layers = blocks.size() / 2;
        double perLayer = 2.0 * tokens * d * 3 * d + 2 * 2.0 * tokens * tokens * d + 2.0 * tokens * d * d + 2 * 2.0 * tokens * d * mlpDim;
        double forward = 2.0 * (tokens - 1) * d * input[0] * patch * patch + layers * perLayer
                + 2.0 * d * network.manifest().numClasses();
        long r = Math.min(k + options.oversampling(), d);
        double linearise = layers * 2 * 2.0 * tokens * d * d;
        double build = layers * d * ((8.0 * d * d + 4.0 * tokens * d) + 4.0 * d * mlpDim);
        double products = 0;
        double orthonormalise = 0;
        for (int s = 0; s < stackSteps.size(); s++) {
            int q = stackSteps.get(s);
            int members = Math.min(blocksPerStack, blocks.size() - s * blocksPerStack);
            products += members * 2.0 * (q + 1) * 2.0 * d * d * r;
            orthonormalise += members * (4.0 * r * r * (q + 2) * 2 * d + 2.0 * k * r * 2 * d);
        }
        double cross = blocks.size() * (blocks.size() - 1.0) * k * 2.0 * d * d;
        List<Line> lines = List.of(new Line("forward (trace h_0..h_L)", forward / 1e9, false),
                new Line("linearise (every token's keys and values)", linearise / 1e9, false),
                new Line("Jacobian build: J^T I, D cotangents per branch", build / 1e9, true),
                new Line("J products: 2(q+1) x 2 D^2 r per block, q = " + stackSteps, products / 1e9, true),
                new Line("orthonormalisation: 2(q+2) x 4 r^2 n", orthonormalise / 1e9, false),
                new Line("cross-alignment: k x 2 D^2 per ordered pair", cross / 1e9, true));
        return new Work(lines, "LayerNorm, softmax, GELU and other elementwise work not counted");
    }
}
