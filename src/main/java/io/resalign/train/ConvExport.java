package io.resalign.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.model.ModelWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exports a trained {@link ResNetConv} as a resalign model directory in torchvision's
 * {@code state_dict} names (docs/models.md): {@code conv1.weight}, {@code bn1.*},
 * {@code layer{s}.{b}.conv1.weight}, {@code .bn1.*}, {@code .conv2.weight}, {@code .bn2.*},
 * {@code .downsample.0.weight}, {@code .downsample.1.*}, {@code fc.weight}, {@code fc.bias}.
 * DJL's Conv2d weight is (out, in, kh, kw) like torch's. The parameter mapping is
 * {@link TorchExport}'s.
 *
 * <p>A network trained without BatchNorm is written with identity BatchNorm tensors (weight 1,
 * bias 0, running mean 0, running variance {@code 1 - eps}), because the engine's
 * {@code resnet-conv}, like torchvision's ResNet, always has them.
 */
public final class ConvExport {
    private ConvExport() {}

    /** Returns the torch-named parameters of a network, and checks that every DJL parameter is exported exactly once. */
    public static Map<String, NDArray> tensors(ResNetConv net) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        Map<Parameter, String> seen = new IdentityHashMap<>();
        TorchExport.put(out, seen, "conv1", net.stemConv(), TorchExport.CONV);
        putBatchNorm(out, seen, "bn1", net.stemBn());
        for (int i = 0; i < net.residualBlocks().size(); i++) {
            ResidualConvBlock b = net.residualBlocks().get(i);
            String p = net.blockNames().get(i);
            TorchExport.put(out, seen, p + ".conv1", b.conv1(), TorchExport.CONV);
            putBatchNorm(out, seen, p + ".bn1", b.bn1());
            TorchExport.put(out, seen, p + ".conv2", b.conv2(), TorchExport.CONV);
            putBatchNorm(out, seen, p + ".bn2", b.bn2());
            if (b.downsample() != null) {
                TorchExport.put(out, seen, p + ".downsample.0", b.downsample(), TorchExport.CONV);
                putBatchNorm(out, seen, p + ".downsample.1", b.downsampleBn());
            }
        }
        TorchExport.put(out, seen, "fc", net.fc(), TorchExport.LINEAR);
        TorchExport.requireAllExported(net, seen);
        return out;
    }

    private static void putBatchNorm(Map<String, NDArray> out, Map<Parameter, String> seen, String prefix, BatchNorm bn) {
        if (bn != null) {
            TorchExport.put(out, seen, prefix, bn, TorchExport.BATCH_NORM);
        }
    }

    /** Returns a {@link ModelWriter} holding every tensor the engine loads, identity BatchNorms included, as float32. */
    public static ModelWriter writer(ResNetConv net) {
        ModelWriter writer = new ModelWriter();
        Map<String, NDArray> tensors = tensors(net);
        tensors.forEach((name, array) -> writer.put(name, array.toFloatArray(), array.getShape().getShape()));
        if (!net.spec().batchNorm()) {
            Map<String, Long> channels = new LinkedHashMap<>();
            tensors.forEach((name, array) -> {
                if (name.endsWith("conv1.weight") || name.endsWith("conv2.weight") || name.endsWith("downsample.0.weight")) {
                    String bn = name.equals("conv1.weight") ? "bn1" : name.replace("conv1.weight", "bn1").replace("conv2.weight", "bn2")
                            .replace("downsample.0.weight", "downsample.1");
                    channels.put(bn, array.getShape().get(0));
                }
            });
            float eps = net.spec().bnEps();
            channels.forEach((bn, c) -> {
                float[] ones = filled(c, 1f);
                writer.put(bn + ".weight", ones, new long[] {c});
                writer.put(bn + ".bias", new float[c.intValue()], new long[] {c});
                writer.put(bn + ".running_mean", new float[c.intValue()], new long[] {c});
                writer.put(bn + ".running_var", filled(c, 1f - eps), new long[] {c});
            });
        }
        return writer;
    }

    private static float[] filled(long n, float v) {
        float[] a = new float[(int) n];
        Arrays.fill(a, v);
        return a;
    }

    /** Builds the manifest: the engine's resnet-conv hyper-parameters, and the training record with the gradient check. */
    public static ObjectNode manifest(TrainedConv trained) {
        ConvSpec s = trained.spec();
        ObjectNode hp = JsonNodeFactory.instance.objectNode();
        Arrays.stream(s.layers()).forEach(hp.putArray("layers")::add);
        Arrays.stream(s.widths()).forEach(hp.putArray("widths")::add);
        hp.put("stem", s.stem());
        hp.put("skip", s.skip());
        hp.put("bn_eps", TorchExport.round(s.bnEps()));
        ObjectNode m = TorchExport.manifest(trained, hp);
        ObjectNode t = (ObjectNode) m.get("training");
        // The engine's resnet-conv always has BatchNorm; whether it was trained is part of the record.
        t.put("batch_norm", s.batchNorm());
        ObjectNode check = t.putObject("gradient_check");
        check.put("max_relative_error", Double.parseDouble(String.format(java.util.Locale.ROOT, "%.3g", trained.gradientCheck().maxError())));
        check.put("worst_tensor", trained.gradientCheck().worst());
        check.put("tolerance", GradientCheck.TOLERANCE);
        String isa = System.getenv("ONEDNN_MAX_CPU_ISA");
        check.put("onednn_max_cpu_isa", isa == null ? "unset" : isa);
        return m;
    }

    /**
     * Writes the model directory (manifest.json + model.safetensors); other files in it are kept.
     *
     * @return the directory
     */
    public static Path write(TrainedConv trained, Path directory) throws IOException {
        return writer(trained.network()).write(directory, manifest(trained));
    }
}
