package io.resalign.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.resalign.engine.testing.Python;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs torch's peer of the engine on the same model and inputs (src/test/python/large_model_peer.py,
 * torch 1.13 under Debian's python3) and reads what it measured: seconds per batch, the top
 * singular value of every watched block, its own correctness checks and its own matmul and conv
 * rates.
 */
final class TorchPeer {
    /** The peer script, relative to the project directory (where Maven runs the benchmark). */
    static final Path SCRIPT = Path.of("src/test/python/large_model_peer.py");

    /**
     * What the peer is asked to do.
     *
     * @param model the model directory (model.safetensors)
     * @param arch {@code resnet50} or {@code vit_b_16}
     * @param inputs raw little-endian float32 samples (N, 3, 224, 224)
     * @param count samples to use, {@code (warmup + timed) * batch}
     * @param batch samples per batch
     * @param warmup untimed batches first
     * @param threads torch's intra-op threads (the engine's)
     * @param k singular triplets per block
     * @param oversampling extra sketch columns p
     * @param steps power steps: resnet50 one value, vit_b_16 one per stack
     * @param stackBlocks vit_b_16: blocks per stacked decomposition (the engine's chunking)
     * @param watch resnet50: the watched blocks, in network order
     */
    record Request(Path model, String arch, Path inputs, int count, int batch, int warmup, int threads, int k, int oversampling,
            List<Integer> steps, int stackBlocks, List<String> watch) {}

    /**
     * What the peer measured.
     *
     * @param torchVersion torch's version string
     * @param threads intra-op threads torch ran with
     * @param seconds wall-clock seconds of each timed batch
     * @param fullSvdSeconds vit_b_16: seconds of torch.linalg.svd of the stacked Jacobians, per timed batch
     * @param sigma1 top singular value [block][sample] of the first timed batch
     * @param check the peer's own checks, name to value
     * @param rates torch's own matmul and conv rates on the benchmark's shapes, mean of before and after its timing
     */
    record Result(String torchVersion, int threads, double[] seconds, double[] fullSvdSeconds, double[][] sigma1, Map<String, String> check,
            LargeModelCase.Rates rates) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private TorchPeer() {}

    /** Runs the peer, its progress on this process's output, and returns its result. */
    static Result run(Request r, Path work) throws IOException, InterruptedException {
        Path out = work.resolve("peer-" + r.arch() + "-" + r.batch() + ".json");
        List<String> args = new ArrayList<>(List.of(r.model().toString(), "--arch", r.arch(), "--inputs", r.inputs().toString(),
                "--count", String.valueOf(r.count()), "--batch", String.valueOf(r.batch()), "--warmup", String.valueOf(r.warmup()),
                "--threads", String.valueOf(r.threads()), "--k", String.valueOf(r.k()), "--oversampling", String.valueOf(r.oversampling()),
                "--stack-blocks", String.valueOf(r.stackBlocks()), "--out", out.toString(), "--steps"));
        r.steps().forEach(s -> args.add(String.valueOf(s)));
        if (r.arch().equals("vit_b_16")) {
            args.add("--full-svd");
        } else {
            args.add("--watch");
            args.addAll(r.watch());
        }
        // OpenBLAS (torch's BLAS here) keeps its own thread pool: give it the same count
        Python.torchLive(SCRIPT, Duration.ofHours(4), Map.of("OPENBLAS_NUM_THREADS", String.valueOf(r.threads())), args);
        JsonNode json = JSON.readTree(Files.readString(out));
        JsonNode values = json.get("sigma1");
        double[][] sigma1 = new double[values.size()][];
        for (int b = 0; b < sigma1.length; b++) {
            sigma1[b] = doubles(values.get(b));
        }
        Map<String, String> check = new LinkedHashMap<>();
        json.get("check").fields().forEachRemaining(e -> check.put(e.getKey(), e.getValue().isNumber()
                ? String.format("%.2e", e.getValue().asDouble()) : e.getValue().asText()));
        JsonNode rates = json.get("rates");
        return new Result(json.get("torch").asText(), json.get("threads").asInt(), doubles(json.get("seconds")),
                doubles(json.get("full_svd_seconds")), sigma1, check, new LargeModelCase.Rates(rates.get("matmul").asDouble(),
                        rates.get("conv56").asDouble(), rates.get("conv14").asDouble()));
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
