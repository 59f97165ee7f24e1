package dev.edgecompress.passes.clustering;

import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import dev.edgecompress.passes.analysis.CompressionTargets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Weight clustering (Deep Compression's weight sharing; TensorFlow Model Optimization's
 * {@code cluster_weights}): the non-zero values of each prunable weight (see
 * {@link CompressionTargets#prunableWeights}), per layer or per output channel, are replaced by
 * the nearest of {@code clusters} centroids found by k-means; zeros stay zero, so pruning
 * survives. The model stays standard float ONNX; what shrinks is the information in it (a layer
 * of k shared values needs log2(k + 1) bits a weight, which gzip and a later int8 or palette
 * encoding take), and the report gives each layer's distinct values and bits.
 */
public final class WeightClusteringPass implements Pass {

    /** k-means++'s seed: the same model and settings give the same clusters. */
    static final long SEED = 17;

    private final ClusteringConfig config;

    public WeightClusteringPass(ClusteringConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "cluster";
    }

    @Override
    public Map<String, Object> params() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("clusters", config.clusters());
        params.put("per", config.perChannel() ? "channel" : "layer");
        params.put("init", config.init().id());
        if (!config.skip().isEmpty()) {
            params.put("skip", config.skip());
        }
        return params;
    }

    @Override
    public Set<Need> needs() {
        return Set.of(Need.CLEANUP_BEFORE);
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        Map<String, Object> layers = new LinkedHashMap<>();
        double signal = 0;
        double noise = 0;
        for (Graph graph : model.graph().withSubgraphs()) {
            for (Node node : graph.nodes()) {
                for (Value weight : CompressionTargets.prunableWeights(node)) {
                    if (weight.constValue() == null || skipped(node, weight)) {
                        continue;
                    }
                    Tensor tensor = weight.constValue();
                    float[] values = tensor.toFloatArray();
                    float[] clustered = values.clone();
                    int axis = config.perChannel() ? outputAxis(node) : -1;
                    for (int[] group : groups(tensor.dims(), axis)) {
                        cluster(values, clustered, group);
                    }
                    for (int i = 0; i < values.length; i++) {
                        signal += (double) values[i] * values[i];
                        noise += (double) (values[i] - clustered[i]) * (values[i] - clustered[i]);
                    }
                    weight.replaceConstValue(Tensor.ofFloats(tensor.dims(), clustered).withName(tensor.name()));
                    int distinct = (int) java.util.stream.IntStream.range(0, clustered.length)
                            .mapToObj(i -> clustered[i]).distinct().count();
                    layers.put(weight.name(), Map.of("distinct_values", distinct,
                            "bits", Math.max(1, 32 - Integer.numberOfLeadingZeros(Math.max(distinct - 1, 1)))));
                }
            }
        }
        if (layers.isEmpty()) {
            return PassResult.unchanged().withWarning(name() + " changed nothing: the model has no weight of Conv,"
                    + " Gemm, MatMul or recurrent layers with at least two dimensions to cluster");
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("clustered_weights", layers.size());
        details.put("weight_sqnr_db", Double.parseDouble(String.format(Locale.ROOT, "%.2f",
                10 * Math.log10(signal / Math.max(noise, 1e-30)))));
        details.put("layers", layers);
        return PassResult.changed(details);
    }

    private boolean skipped(Node node, Value weight) {
        Set<String> skip = config.skip();
        return skip.contains(weight.name()) || skip.contains(node.opType())
                || node.name() != null && skip.contains(node.name());
    }

    /** The non-zero values at {@code indices} of {@code values}, clustered into {@code out}. */
    private void cluster(float[] values, float[] out, int[] indices) {
        int count = 0;
        for (int i : indices) {
            count += values[i] != 0 ? 1 : 0;
        }
        if (count == 0) {
            return;
        }
        float[] nonzero = new float[count];
        int n = 0;
        for (int i : indices) {
            if (values[i] != 0) {
                nonzero[n++] = values[i];
            }
        }
        float[] centroids = KMeans.centroids(nonzero, config.clusters(), config.init(), SEED);
        double[] sorted = new double[centroids.length];
        for (int c = 0; c < sorted.length; c++) {
            sorted[c] = centroids[c];
        }
        for (int i : indices) {
            if (values[i] != 0) {
                out[i] = centroids[KMeans.nearest(sorted, values[i])];
            }
        }
    }

    /** The axis of a weight's output channels: 0 for Conv and Gemm with transB, 1 for MatMul, Gemm and ConvTranspose. */
    private static int outputAxis(Node node) {
        return switch (node.opType()) {
            case "Conv" -> 0;
            case "Gemm" -> node.intAttribute("transB", 0) != 0 ? 0 : 1;
            case "MatMul", "ConvTranspose" -> 1;
            default -> -1; // recurrent weights: per layer
        };
    }

    /** Element indices grouped by their index along {@code axis} (one group for axis -1). */
    static List<int[]> groups(long[] dims, int axis) {
        int total = 1;
        for (long d : dims) {
            total *= (int) d;
        }
        if (axis < 0) {
            return List.of(java.util.stream.IntStream.range(0, total).toArray());
        }
        int channels = (int) dims[axis];
        int inner = 1;
        for (int a = axis + 1; a < dims.length; a++) {
            inner *= (int) dims[a];
        }
        List<List<Integer>> byChannel = new ArrayList<>();
        for (int c = 0; c < channels; c++) {
            byChannel.add(new ArrayList<>());
        }
        for (int i = 0; i < total; i++) {
            byChannel.get(i / inner % channels).add(i);
        }
        List<int[]> groups = new ArrayList<>();
        byChannel.forEach(g -> groups.add(g.stream().mapToInt(Integer::intValue).toArray()));
        return groups;
    }
}
