package dev.edgecompress.passes.quantization;

import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.ActivationSource;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Static post-training int8 quantization in QDQ form, the form ONNX Runtime fuses into integer
 * kernels (QLinearConv, QGemm, QLinearMatMul, ...). Activation ranges come from calibration data
 * (MinMax, Percentile or Entropy over histograms); weights are int8 symmetric per output channel,
 * biases int32. What is quantized is {@link QuantizationPlan}'s choice; everything else stays
 * float. Run BatchNormalization folding before it (the cleanup passes do).
 */
public final class StaticQuantizationPass implements Pass {

    private final QuantizationConfig config;

    public StaticQuantizationPass(QuantizationConfig config) {
        this.config = config;
    }

    @Override
    public Set<Need> needs() {
        return Set.of(Need.CALIBRATION_DATA, Need.CLEANUP_BEFORE, Need.QUANTIZATION_OPSET);
    }

    @Override
    public String name() {
        return "quantize-static";
    }

    @Override
    public Map<String, Object> params() {
        return config.params(true);
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        List<String> warnings = new ArrayList<>();
        int rewritten = Int8Forms.rewrite(model);
        List<QuantizationPlan> plans = new ArrayList<>();
        for (Graph graph : model.graph().withSubgraphs()) {
            QuantizationPlan plan = QuantizationPlan.of(graph, config);
            if (plan.activations.isEmpty()) {
                continue;
            }
            if (graph.owner() != null && !reachable(graph)) {
                warnings.add(name() + " left " + plan.weighted.size() + " weighted nodes in float inside a "
                        + graph.owner().opType() + " body (" + graph.owner().describe() + "): calibration reaches"
                        + " values inside If branches only");
                continue;
            }
            plans.add(plan);
        }
        if (plans.isEmpty()) {
            return onlyRewritten(rewritten, warnings);
        }
        QuantizationPlan all = QuantizationPlan.union(plans);
        ActivationSource source = context.activations(name());
        Map<Value, double[]> ranges = calibrate(model, all, source, context, config);
        // A branch the calibration data never ran has no ranges: it stays float, and says so.
        List<QuantizationPlan> calibrated = new ArrayList<>();
        for (QuantizationPlan plan : plans) {
            long unseen = plan.activations.stream().filter(v -> !plan.sharesParamsWith.containsKey(v)
                    && !ranges.containsKey(v)).count();
            if (unseen == 0) {
                calibrated.add(plan);
            } else {
                warnings.add(name() + " left " + plan.weighted.size() + " weighted nodes in float in a branch the"
                        + " calibration data never ran (" + plan.graph.owner().describe() + ", " + plan.graph.name()
                        + "); calibrate on data that takes it");
            }
        }
        if (calibrated.isEmpty()) {
            return onlyRewritten(rewritten, warnings);
        }
        Map<String, Object> details = rewrite(model, QuantizationPlan.union(calibrated), ranges, config);
        details.put("calibration_samples", source.samples());
        if (rewritten > 0) {
            details.put("rewritten_for_int8", rewritten);
        }
        return new PassResult(true, details, warnings);
    }

    /**
     * Nothing was quantized; the int8 forms may still have changed the model (Div by a constant
     * became Mul), and then the result says so, so that the pipeline verifies it, while a warning
     * says that nothing is int8.
     */
    private PassResult onlyRewritten(int rewritten, List<String> warnings) {
        List<String> all = new ArrayList<>(warnings);
        if (all.isEmpty()) {
            all.add(name() + " changed nothing: the model has nothing it applies to");
        }
        return new PassResult(rewritten > 0, rewritten > 0 ? Map.of("rewritten_for_int8", rewritten) : Map.of(), all);
    }

    /** Whether calibration can see a subgraph's values: it is an If branch inside If branches only. */
    private static boolean reachable(Graph graph) {
        for (Graph g = graph; g.owner() != null; g = g.parent()) {
            if (!g.owner().opType().equals("If") || !g.owner().normalizedDomain().isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Quantizes what {@code plan} chose: weights per {@code config}, activations over
     * {@code ranges} (by activation; values that share another's parameters take that one's).
     */
    static Map<String, Object> rewrite(Model model, QuantizationPlan plan, Map<Value, double[]> ranges,
            QuantizationConfig config) {
        Map<Value, QuantParams> params = new LinkedHashMap<>();
        ranges.forEach((value, range) -> params.put(value, config.symmetricActivations()
                ? QuantParams.symmetricInt8(range[0], range[1]) : QuantParams.asymmetricUint8(range[0], range[1])));
        plan.sharesParamsWith.forEach((output, input) -> params.put(output, params.get(
                plan.sharesParamsWith.getOrDefault(input, input))));
        QdqRewriter rewriter = new QdqRewriter(model.opsetVersion("") >= 13);
        Map<String, Integer> quantizedOps = new TreeMap<>();
        for (Node node : plan.weighted) {
            QuantParams input = params.get(node.input(0));
            int axis = weightAxis(node);
            float[] weightScales = rewriter.quantizeWeight(node, 1, axis, config.perChannel(node.name()));
            Value bias = node.input(2);
            if (bias != null && bias.constValue() != null && bias.constValue().rank() == 1
                    && (weightScales.length == 1 || bias.constValue().dim(0) == weightScales.length)) {
                rewriter.quantizeBias(node, 2, input.scale(), weightScales);
            }
            quantizedOps.merge(node.opType(), 1, Integer::sum);
        }
        for (Map.Entry<Value, QuantParams> entry : params.entrySet()) {
            rewriter.quantizeActivation(entry.getKey(), entry.getValue());
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("weighted_nodes", quantizedOps);
        details.put("activations", params.size());
        return details;
    }

    /** The output-channel axis of the weight, along which scales are per channel. */
    static int weightAxis(Node node) {
        return switch (node.opType()) {
            case "Conv" -> 0;
            case "ConvTranspose" -> 1;
            case "Gemm" -> node.intAttribute("transB", 0) == 1 ? 0 : 1;
            default -> 1; // MatMul [K, N]
        };
    }

    /**
     * The calibrated {min, max} of every activation {@code plan} quantizes that does not share
     * another's parameters.
     */
    static Map<Value, double[]> calibrate(Model model, QuantizationPlan plan, ActivationSource source,
            PassContext context, QuantizationConfig config) {
        Map<String, Value> byName = new LinkedHashMap<>();
        Map<Value, double[]> ranges = new LinkedHashMap<>();
        for (Value value : plan.activations) {
            if (plan.sharesParamsWith.containsKey(value)) {
                continue;
            }
            if (value.constValue() != null) { // a constant operand: its range is its values
                RangeCollector constant = new RangeCollector();
                constant.observe(value.constValue());
                ranges.put(value, constant.range(CalibrationMethod.MINMAX, config.percentile()));
            } else {
                byName.put(value.name(), value);
            }
        }
        List<String> names = List.copyOf(byName.keySet());
        context.progress("calibrating", 0);
        ActivationRanges collected = source.reduce(model, names, ActivationRanges.of(names));
        if (config.calibration() != CalibrationMethod.MINMAX) {
            context.progress("calibrating", 0.5);
            collected = source.reduce(model, names, collected.histograms());
        }
        context.progress("calibrating", 1);
        for (String name : names) {
            RangeCollector collector = collected.get(name);
            if (collector.seen()) { // values in a branch the data never takes have none
                ranges.put(byName.get(name), collector.range(config.calibration(), config.percentile()));
            }
        }
        return ranges;
    }
}
