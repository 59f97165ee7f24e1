package dev.edgecompress.passes.lowrank;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ejml.data.DMatrixRMaj;

/**
 * SVD low-rank factorization. A weight W [m, n] (m inputs, n outputs) becomes A [m, r] times
 * B [r, n], with A = U_r sqrt(S_r) and B = sqrt(S_r) V_r^T, when r (m + n) &lt; m n:
 * <pre>
 *   x -> Gemm(W, b) -> y                  x -> MatMul(A) -> Gemm(B, b) -> y
 *   x -> MatMul(W) -> y                   x -> MatMul(A) -> MatMul(B) -> y
 *   x -> Conv(W [O,I,k,k], b) -> y        x -> Conv(A [r,I,k,k]) -> Conv(B [O,r,1,1], b) -> y
 * </pre>
 * (channel SVD for convolutions: the k x k filters are factorized as a matrix [O, I k k]). The
 * bias stays on the second factor. Layers where no rank saves parameters are left alone and
 * reported. Each factorized layer reports its rank, parameters and the relative reconstruction
 * error ||W - A B|| / ||W|| (Frobenius).
 */
public final class LowRankFactorizationPass implements Pass {

    /** Matrices whose smaller side is at most this get a full SVD; larger ones a randomized one. */
    static final int FULL_SVD_LIMIT = 1024;

    private final LowRankConfig config;

    public LowRankFactorizationPass(LowRankConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "low-rank";
    }

    @Override
    public Map<String, Object> params() {
        return config.params();
    }

    /** One candidate layer: its weight as a matrix [inputs, outputs] and its decomposition. */
    private record Candidate(Node node, int m, int n, Svd.Result svd) {
        long dense() {
            return (long) m * n;
        }

        int maxUseful() {
            return (int) ((dense() - 1) / (m + n));
        }
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        List<Map<String, Object>> layers = new ArrayList<>();
        List<String> leftAlone = new ArrayList<>();
        List<Candidate> candidates = new ArrayList<>();
        List<Node> eligible = model.graph().allNodes().stream().filter(this::eligible).toList();
        for (Node node : eligible) {
            Candidate candidate = decompose(node);
            if (candidate == null) {
                leftAlone.add(label(node));
            } else {
                candidates.add(candidate);
            }
            context.progress("decomposing", candidates.size() / (double) eligible.size());
        }
        Map<Candidate, Integer> ranks = config.byBudget() ? budgetRanks(candidates) : new LinkedHashMap<>();
        for (Candidate candidate : candidates) {
            int rank = config.byBudget() ? ranks.get(candidate) : chooseRank(candidate.svd(), candidate.m(),
                    candidate.n());
            if (rank > candidate.maxUseful()) {
                leftAlone.add(label(candidate.node()));
            } else {
                layers.add(factorize(candidate.node().graph(), candidate, rank));
            }
        }
        String warning = leftAlone.isEmpty() ? null : name() + " left " + leftAlone.size() + " of "
                + eligible.size() + " layers whole: no rank under the limit saves parameters ("
                + String.join(", ", leftAlone.subList(0, Math.min(5, leftAlone.size())))
                + (leftAlone.size() > 5 ? ", ..." : "") + ")";
        if (layers.isEmpty()) {
            return new PassResult(false, leftAlone.isEmpty() ? Map.of() : Map.of("left_alone", leftAlone), List.of())
                    .withWarning(warning);
        }
        return PassResult.changed(Map.of("layers", layers, "left_alone", leftAlone)).withWarning(warning);
    }

    private boolean eligible(Node node) {
        if (!node.normalizedDomain().isEmpty() || node.name() != null && config.skip().contains(node.name())
                || config.skip().contains(node.opType())) {
            return false;
        }
        Value weight = node.input(1);
        if (node.input(0) == null || weight == null || weight.constValue() == null
                || weight.constValue().type() != DataType.FLOAT || weight.uses().size() != 1
                || config.skip().contains(weight.name())) {
            return false;
        }
        int rank = weight.constValue().rank();
        return switch (node.opType()) {
            case "Gemm" -> rank == 2 && node.intAttribute("transA", 0) == 0;
            case "MatMul" -> rank == 2 && node.input(0).constValue() == null;
            case "Conv" -> rank == 4 && node.intAttribute("group", 1) == 1;
            default -> false;
        };
    }

    /** The layer's weight as a matrix [inputs, outputs] and its SVD; null when no rank can save parameters. */
    private Candidate decompose(Node node) {
        Tensor w = node.input(1).constValue();
        boolean conv = node.opType().equals("Conv");
        boolean transposed = node.opType().equals("Gemm") && node.intAttribute("transB", 0) == 1;
        // A conv's filters as [I k k, O]; a transposed Gemm weight [N, K] as [K, N].
        int m = conv ? (int) (w.dim(1) * w.dim(2) * w.dim(3)) : (int) (transposed ? w.dim(1) : w.dim(0));
        int n = conv ? (int) w.dim(0) : (int) (transposed ? w.dim(0) : w.dim(1));
        if (((long) m * n - 1) / (m + n) < 1) {
            return null;
        }
        float[] values = w.toFloatArray();
        DMatrixRMaj matrix = new DMatrixRMaj(m, n);
        boolean rowsAreOutputs = conv || transposed;
        for (int i = 0; i < values.length; i++) {
            int row = i / (rowsAreOutputs ? m : n);
            int col = i % (rowsAreOutputs ? m : n);
            matrix.set(rowsAreOutputs ? col : row, rowsAreOutputs ? row : col, values[i]);
        }
        int maxUseful = (int) (((long) m * n - 1) / (m + n));
        return new Candidate(node, m, n, config.byBudget() ? Svd.full(matrix) : decompose(matrix, maxUseful));
    }

    /**
     * Ranks under a global parameter budget: every layer starts at rank 1; then the singular value
     * that removes the most relative reconstruction error per parameter it costs (sigma^2 / energy
     * / (m + n)) is added, again and again, while the budget allows. A layer whose rank stops
     * saving parameters is kept whole (its dense size counts against the budget).
     */
    private Map<Candidate, Integer> budgetRanks(List<Candidate> candidates) {
        long total = candidates.stream().mapToLong(Candidate::dense).sum();
        long budget = (long) (config.budget() * total);
        Map<Candidate, Integer> ranks = new LinkedHashMap<>();
        long used = 0;
        java.util.PriorityQueue<Candidate> gains = new java.util.PriorityQueue<>(
                java.util.Comparator.comparingDouble((Candidate c) -> -gain(c, ranks.get(c))));
        for (Candidate c : candidates) {
            ranks.put(c, 1);
            used += c.m() + c.n();
        }
        gains.addAll(candidates);
        while (!gains.isEmpty()) {
            Candidate best = gains.poll();
            int rank = ranks.get(best);
            if (rank >= best.svd().s().length || used + best.m() + best.n() > budget) {
                continue;
            }
            ranks.put(best, rank + 1);
            used += best.m() + best.n();
            if (rank + 1 <= best.maxUseful()) {
                gains.add(best);
            }
        }
        return ranks;
    }

    /** Relative error removed per parameter by adding singular value number {@code rank} (0-based). */
    private static double gain(Candidate c, int rank) {
        double[] s = c.svd().s();
        return rank >= s.length ? 0 : s[rank] * s[rank] / c.svd().energy() / (c.m() + c.n());
    }

    /** Rewrites one layer with the given rank; returns its report entry. */
    private Map<String, Object> factorize(Graph graph, Candidate candidate, int rank) {
        Node node = candidate.node();
        Tensor w = node.input(1).constValue();
        String op = node.opType();
        boolean conv = op.equals("Conv");
        int m = candidate.m();
        int n = candidate.n();
        Svd.Result svd = candidate.svd();
        float[] a = new float[m * rank]; // [m, r] = U_r sqrt(S_r)
        float[] b = new float[rank * n]; // [r, n] = sqrt(S_r) V_r^T
        double kept = 0;
        for (int j = 0; j < rank; j++) {
            double root = Math.sqrt(svd.s()[j]);
            kept += svd.s()[j] * svd.s()[j];
            for (int i = 0; i < m; i++) {
                a[i * rank + j] = (float) (svd.u().get(i, j) * root);
            }
            for (int c = 0; c < n; c++) {
                b[j * n + c] = (float) (svd.vt().get(j, c) * root);
            }
        }
        String base = node.input(1).name();
        if (conv) {
            rewriteConv(graph, node, w, a, b, rank, m, n, base);
        } else {
            Value first = graph.addInitializer(graph.freshName(base + "_a"), Tensor.ofFloats(new long[] {m, rank}, a));
            Node product = graph.insertBefore(node, new Node(null, "MatMul", List.of(node.input(0), first),
                    List.of(graph.freshName(node.output(0).name() + "_low_rank"))));
            node.replaceInput(0, product.output());
            node.replaceInput(1, graph.addInitializer(graph.freshName(base + "_b"),
                    Tensor.ofFloats(new long[] {rank, n}, b)));
            if (op.equals("Gemm")) {
                node.setAttribute(Attribute.of("transB", 0L));
            }
        }
        Map<String, Object> layer = new LinkedHashMap<>();
        layer.put("node", label(node));
        layer.put("op", op);
        layer.put("matrix", m + " x " + n);
        layer.put("rank", rank);
        layer.put("parameters", List.of((long) m * n, (long) rank * (m + n)));
        layer.put("relative_error", Math.sqrt(Math.max(0, svd.energy() - kept) / svd.energy()));
        return layer;
    }

    private Svd.Result decompose(DMatrixRMaj matrix, int maxUseful) {
        int smaller = Math.min(matrix.numRows, matrix.numCols);
        if (smaller <= FULL_SVD_LIMIT) {
            return Svd.full(matrix);
        }
        if (!config.byEnergy()) {
            return Svd.leading(matrix, rankForRatio(matrix.numRows, matrix.numCols), 1);
        }
        // Grow the leading part until it holds the energy asked for, or factorizing cannot pay.
        for (int k = 64; ; k *= 2) {
            Svd.Result leading = Svd.leading(matrix, Math.min(k, maxUseful + 1), 1);
            double kept = 0;
            for (double s : leading.s()) {
                kept += s * s;
            }
            if (kept >= config.energy() * leading.energy() || k > maxUseful) {
                return leading;
            }
        }
    }

    private int chooseRank(Svd.Result svd, int m, int n) {
        if (!config.byEnergy()) {
            return rankForRatio(m, n);
        }
        double target = config.energy() * svd.energy();
        double kept = 0;
        for (int r = 0; r < svd.s().length; r++) {
            kept += svd.s()[r] * svd.s()[r];
            if (kept >= target * (1 - 1e-12)) {
                return r + 1;
            }
        }
        return Integer.MAX_VALUE; // the leading part never held the energy: no useful rank
    }

    private int rankForRatio(int m, int n) {
        return Math.max(1, (int) Math.floor(config.ratio() * m * n / (m + n)));
    }

    /** Conv W [O, I, kh, kw] -> Conv A [r, I, kh, kw] (the original geometry) -> Conv B [O, r, 1, 1]. */
    private static void rewriteConv(Graph graph, Node node, Tensor w, float[] a, float[] b, int rank, int m, int n,
            String base) {
        // a is [I k k, r]: filter j of the first conv is column j.
        float[] first = new float[rank * m];
        for (int j = 0; j < rank; j++) {
            for (int i = 0; i < m; i++) {
                first[j * m + i] = a[i * rank + j];
            }
        }
        // b is [r, O]: output channel o of the second conv reads row o of b^T.
        float[] second = new float[n * rank];
        for (int o = 0; o < n; o++) {
            for (int j = 0; j < rank; j++) {
                second[o * rank + j] = b[j * n + o];
            }
        }
        Value firstWeight = graph.addInitializer(graph.freshName(base + "_a"),
                Tensor.ofFloats(new long[] {rank, w.dim(1), w.dim(2), w.dim(3)}, first));
        Node spatial = new Node(null, "Conv", List.of(node.input(0), firstWeight),
                List.of(graph.freshName(node.output(0).name() + "_low_rank")));
        for (String kept : List.of("auto_pad", "dilations", "kernel_shape", "pads", "strides")) {
            if (node.attribute(kept) != null) {
                spatial.setAttribute(node.attribute(kept));
            }
        }
        graph.insertBefore(node, spatial);
        node.replaceInput(0, spatial.output());
        node.replaceInput(1, graph.addInitializer(graph.freshName(base + "_b"),
                Tensor.ofFloats(new long[] {n, rank, 1, 1}, second)));
        node.removeAttribute("auto_pad");
        node.setAttribute(Attribute.of("kernel_shape", 1L, 1));
        node.setAttribute(Attribute.of("pads", 0L, 0, 0, 0));
        node.setAttribute(Attribute.of("strides", 1L, 1));
        node.setAttribute(Attribute.of("dilations", 1L, 1));
    }

    private static String label(Node node) {
        return node.name() != null && !node.name().isEmpty() ? node.name() : node.output(0).name();
    }
}
