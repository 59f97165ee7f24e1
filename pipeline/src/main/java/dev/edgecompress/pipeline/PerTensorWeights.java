package dev.edgecompress.pipeline;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.passes.quantization.QuantizationConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code per_channel=auto}: the Gemm and MatMul weights that take one int8 scale for the whole
 * tensor instead of one per output channel, chosen by what the outputs lose. ONNX Runtime runs a
 * per-channel weight with a zero point per column (QDQ shapes the zero point like the scale), and
 * its QGemm then takes MLAS's per-column path: on the MLP, 1.83x faster than float at batch 1 with
 * weights per tensor against 1.52x per channel, within 3% at batch 64, convolutions no different
 * (benchmarks/run-int8-weight-granularity.sh). One scale costs accuracy where a weight's channels
 * differ in range, and how much reaches the outputs depends on the network (the MLP's first layer
 * per tensor costs its outputs half a decibel, all three two), so it is measured: every candidate per
 * tensor at once when the outputs keep their SQNR against float within {@link #BUDGET_DB} of the
 * all-per-channel model's; else one at a time, largest weight first, each kept while the loss of
 * those kept so far stays within the budget.
 */
final class PerTensorWeights {

    /**
     * SQNR the outputs may lose, against the model with every weight per channel: a quarter more
     * noise power, which the outputs of a model quantized to 40 dB and more do not show in top-1.
     */
    static final double BUDGET_DB = 1.0;
    /** Nodes tried one by one after all at once failed: the largest weights, where the time goes. */
    static final int MAX_NODE_TRIALS = 8;
    private static final Set<String> CANDIDATE_TYPES = Set.of("Gemm", "MatMul");

    /** The model quantized with the weights of {@code nodes} per tensor, serialized. */
    @FunctionalInterface
    interface Trial {
        byte[] quantize(Set<String> nodes);
    }

    /** The lowest SQNR in dB of a model's outputs against float's on the calibration data. */
    @FunctionalInterface
    interface Judge {
        double sqnrDb(byte[] model);
    }

    /**
     * What was chosen.
     *
     * @param nodes names of the nodes whose weights are per tensor
     * @param model the model quantized so
     * @param trials one line a trial: what was per tensor, the SQNR, whether it was kept
     */
    record Choice(Set<String> nodes, byte[] model, List<String> trials) {
    }

    private PerTensorWeights() {
    }

    /**
     * The named Gemm and MatMul nodes of {@code model} with a constant two-dimensional weight that
     * {@code config} quantizes, largest weight first.
     */
    static List<String> candidates(Model model, QuantizationConfig config) {
        List<Node> nodes = new ArrayList<>();
        for (Node node : model.graph().allNodes()) {
            if (CANDIDATE_TYPES.contains(node.opType()) && node.normalizedDomain().isEmpty()
                    && node.name() != null && !node.name().isEmpty() && !config.excludes(node.name(), node.opType())
                    && node.input(1) != null
                    && node.input(1).constValue() != null && node.input(1).constValue().rank() == 2) {
                nodes.add(node);
            }
        }
        nodes.sort(Comparator.comparingLong((Node n) -> -n.input(1).constValue().elementCount()));
        return nodes.stream().map(Node::name).toList();
    }

    /**
     * Chooses among {@code candidates} (largest first) from the model with every weight per channel,
     * {@code perChannel}.
     */
    static Choice choose(List<String> candidates, byte[] perChannel, Trial trial, Judge judge) {
        List<String> trials = new ArrayList<>();
        if (candidates.isEmpty()) {
            return new Choice(Set.of(), perChannel, trials);
        }
        double base = judge.sqnrDb(perChannel);
        trials.add(String.format(Locale.ROOT, "every weight per channel: %s", db(base)));
        Set<String> all = new LinkedHashSet<>(candidates);
        byte[] together = trial.quantize(all);
        double sqnr = judge.sqnrDb(together);
        boolean allKept = within(base, sqnr);
        trials.add(String.format(Locale.ROOT, "%s per tensor: %s%s", candidates.size() == 1 ? candidates.get(0)
                : "all " + candidates.size(), db(sqnr), allKept ? ", kept" : ""));
        if (allKept) {
            return new Choice(all, together, trials);
        }
        if (candidates.size() == 1) {
            return new Choice(Set.of(), perChannel, trials);
        }
        Set<String> kept = new LinkedHashSet<>();
        byte[] best = perChannel;
        for (String name : candidates.stream().limit(MAX_NODE_TRIALS).toList()) {
            Set<String> nodes = new LinkedHashSet<>(kept);
            nodes.add(name);
            byte[] model = trial.quantize(nodes);
            double s = judge.sqnrDb(model);
            boolean keep = within(base, s);
            trials.add(String.format(Locale.ROOT, "%s per tensor: %s%s", name, db(s), keep ? ", kept" : ""));
            if (keep) {
                kept.add(name);
                best = model;
            }
        }
        return new Choice(kept, best, trials);
    }

    private static boolean within(double base, double sqnr) {
        return sqnr == base || base - sqnr <= BUDGET_DB;
    }

    private static String db(double sqnr) {
        return Double.isInfinite(sqnr) ? "outputs identical to float" : String.format(Locale.ROOT, "%.1f dB", sqnr);
    }
}
