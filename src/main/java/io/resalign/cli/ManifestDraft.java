package io.resalign.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.resalign.engine.EngineOptions;
import io.resalign.engine.model.proposal.Proposal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns a recognised {@link Proposal} and the user's choices into the manifest object of
 * docs/models.md, and tells what watching its blocks costs: per stage, the Jacobian's sides and
 * whether the engine takes the dense or the matrix-free path.
 */
final class ManifestDraft {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ManifestDraft() {}

    /**
     * Returns the manifest object.
     *
     * @param proposal the recognised architecture
     * @param o the command line (name, version, input, preprocessing)
     * @param name the model's name
     * @param classes the class names, as many as the head's outputs
     * @param watch the resolved watch list ({@code ["all"]} or block names)
     * @param weights the weights file's name inside the model directory
     */
    static ObjectNode manifest(Proposal proposal, ProposeOptions o, String name, List<String> classes, List<String> watch,
            String weights) {
        ObjectNode m = JSON.objectNode();
        m.put("name", name).put("version", o.version).put("architecture", proposal.architecture());
        m.set("hyperparameters", proposal.hyperparameters());
        ObjectNode input = m.putObject("input");
        ArrayNode shape = input.putArray("shape");
        for (long s : o.inputShape) {
            shape.add(s);
        }
        if (o.scale != null) {
            input.put("scale", o.scale);
        }
        if (o.mean != null) {
            ArrayNode mean = input.putArray("mean");
            for (float v : o.mean) {
                mean.add(v);
            }
        }
        if (o.std != null) {
            ArrayNode std = input.putArray("std");
            for (float v : o.std) {
                std.add(v);
            }
        }
        ArrayNode cls = m.putArray("classes");
        classes.forEach(cls::add);
        ArrayNode w = m.putArray("watch");
        watch.forEach(w::add);
        m.put("weights", weights);
        return m;
    }

    /**
     * Resolves {@code --watch}: {@code all}, or block and stage names (a stage stands for its
     * blocks), in network order.
     *
     * @throws IllegalArgumentException naming the first name that is no block or stage, with the ones there are
     */
    static List<String> resolveWatch(List<String> requested, Proposal proposal) {
        if (requested.equals(List.of("all"))) {
            return requested;
        }
        Set<String> chosen = new LinkedHashSet<>();
        for (String name : requested) {
            List<String> matching = proposal.blocks().stream().filter(b -> b.name().equals(name) || b.stage().equals(name))
                    .map(Proposal.Block::name).toList();
            if (matching.isEmpty()) {
                throw new IllegalArgumentException("--watch '" + name + "' is no block or stage of this " + proposal.architecture()
                        + "; stages: " + stages(proposal).keySet() + ", blocks: " + blockRange(proposal));
            }
            chosen.addAll(matching);
        }
        return proposal.blocks().stream().map(Proposal.Block::name).filter(chosen::contains).toList();
    }

    /**
     * Returns lines that say, per stage, the watched blocks' Jacobian sides and path, and what a
     * sample costs; with a hint how to restrict when a block goes through the matrix-free path.
     */
    static List<String> cost(Proposal proposal, List<String> watch, long classes) {
        long denseLimit = EngineOptions.defaults().denseLimit();
        int columns = (int) (classes + EngineOptions.defaults().oversampling());
        int steps = EngineOptions.defaults().powerIterations();
        List<String> lines = new ArrayList<>();
        boolean all = watch.equals(List.of("all"));
        int watched = 0;
        int matrixFree = 0;
        for (Map.Entry<String, List<Proposal.Block>> stage : stages(proposal).entrySet()) {
            List<Proposal.Block> blocks = stage.getValue().stream().filter(b -> all || watch.contains(b.name())).toList();
            if (blocks.isEmpty()) {
                continue;
            }
            long side = blocks.stream().mapToLong(b -> Math.max(b.inSide(), b.outSide())).max().orElse(0);
            boolean dense = blocks.stream().allMatch(b -> b.inSide() <= denseLimit && b.outSide() <= denseLimit);
            watched += blocks.size();
            matrixFree += dense ? 0 : blocks.size();
            lines.add(String.format(Locale.ROOT, "  %-10s %3d watched, Jacobian side up to %,d: %s", stage.getKey(), blocks.size(), side,
                    dense ? "dense path" : String.format(Locale.ROOT, "matrix-free, about %,d block products and %.1f MB per sample"
                            + " and block", 2 * (steps + 1) * columns, side * columns * 4.0 / 1e6)));
        }
        lines.add(0, String.format(Locale.ROOT, "watching %d of %d blocks (%s):", watched, proposal.blocks().size(),
                all ? "all" : String.join(",", watch)));
        if (matrixFree > 0) {
            lines.add("  every watched block costs its randomized SVD per sample; to watch fewer, give --watch with block or"
                    + " stage names (--watch " + lastStage(proposal) + ") or edit the manifest's \"watch\"");
        }
        return lines;
    }

    private static Map<String, List<Proposal.Block>> stages(Proposal proposal) {
        Map<String, List<Proposal.Block>> stages = new LinkedHashMap<>();
        proposal.blocks().forEach(b -> stages.computeIfAbsent(b.stage(), s -> new ArrayList<>()).add(b));
        return stages;
    }

    private static String lastStage(Proposal proposal) {
        List<String> names = new ArrayList<>(stages(proposal).keySet());
        return names.isEmpty() ? "all" : names.get(names.size() - 1);
    }

    private static String blockRange(Proposal proposal) {
        List<Proposal.Block> b = proposal.blocks();
        return b.isEmpty() ? "none" : b.get(0).name() + " .. " + b.get(b.size() - 1).name();
    }
}
