package dev.edgecompress.pipeline;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.runtime.Evaluation;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Latency;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.SyntheticInputs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Quantization whose choices are measured on ONNX Runtime: the passes before the quantize step run
 * once; from that model, the quantize step and the passes after it run again for each candidate
 * choice. With {@code per_channel=auto} first the Gemm and MatMul weights that may go per tensor
 * are chosen by the accuracy of the outputs ({@link PerTensorWeights}); with {@code keep_faster}
 * then float is kept where int8 runs slower: each candidate is timed against the best so far in
 * one ONNX Runtime process (sessions alternating, spinning off) at the batch sizes the model will
 * run at: those given, else 1 and 64 (1 and 8 for large inputs).
 * keep_faster first tries each weighted op type in float as a whole (ONNX Runtime's int8 kernels
 * for small convolutions can be several times slower than its float ones), then each narrow node
 * (see {@link #NARROW_DEPTH}), then the other weighted nodes, largest first. A candidate is kept
 * only when it is faster at one batch by more than the timing's noise and slower at none.
 */
final class MeasuredQuantization {

    /**
     * The batch sizes timed when none are given: 1 and 64, as validation times them by default, or
     * 1 and 8 for inputs of more than {@link #LARGE_SAMPLE} values a sample (a 224 x 224 image),
     * whose batch of 64 would take seconds a run.
     */
    static final List<Integer> BATCHES = List.of(1, 64);
    static final List<Integer> LARGE_BATCHES = List.of(1, 8);
    static final long LARGE_SAMPLE = 1 << 16;
    /** Weighted nodes keep_faster tries one by one: the narrow ones, then the largest. */
    static final int MAX_NODE_TRIALS = 16;
    /**
     * Nodes that sum fewer products than this for each output value (a convolution's input channels
     * a group times its kernel's area, a Gemm's or MatMul's inner dimension), depthwise convolutions
     * aside, are tried before the largest ones: there ONNX Runtime's int8 kernels spend more on
     * packing and requantizing than they save (benchmarks/int8_narrow_ops.py, kernel time: a 3 x 3
     * convolution over 1 or 3 channels, 9 or 27 products, runs 2-8 times slower in int8 than in
     * float, over 4 channels 1.4 times, over 8 in half the time; a Gemm over 16 inputs 1.3-1.6
     * times slower, over 784 in a third). A network's stem has its fewest weights, so largest-first
     * never reached it.
     */
    static final long NARROW_DEPTH = 64;
    /** A candidate must be this much faster at some batch, and no slower than this at any. */
    static final double GAIN = 1.03;
    static final double TOLERANCE = 0.98;
    /** Samples a run when judging the outputs of weights per tensor. */
    private static final int JUDGE_BATCH = 64;
    private static final Latency.Plan PLAN = new Latency.Plan(2, 20, 0.3, 3);
    private static final Set<String> WEIGHTED = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul");
    /** The ops whose float weights ONNX Runtime quantizes itself between int8 neighbours. */
    private static final Set<String> QUANTIZED_AT_LOAD = Set.of("Conv", "ConvTranspose", "Gemm");

    private final List<Pass> before;
    private final Step.Quantize quantize;
    private final List<Pass> after;
    private final PassContext context;
    private final Timing timing;
    private final Judge judge;

    /** Times a candidate model (the nodes named left float) against the best so far. */
    @FunctionalInterface
    interface Timing {
        Comparison compare(byte[] best, byte[] trial, Set<String> floatNodes);
    }

    /** The lowest SQNR of a candidate's outputs against the model's before quantization. */
    @FunctionalInterface
    interface Judge {
        double sqnrDb(byte[] before, byte[] candidate);
    }

    /**
     * @param passes every pass of the run, the quantize step's among them
     * @param data samples to time on (their first ones) and to judge accuracy on, or null for
     *     made-up inputs (which per_channel=auto refuses: it judges outputs on real samples)
     * @param batches the batch sizes to time at, or null for {@link #defaultBatches}
     */
    MeasuredQuantization(List<Pass> passes, Pass quantizePass, Step.Quantize quantize, PassContext context,
            Dataset data, SyntheticInputs.Overrides overrides, List<Integer> batches) {
        this(passes, quantizePass, quantize, context, (best, trial, floatNodes) -> compare(best, trial, data,
                overrides, batches), (before, candidate) -> sqnrDb(before, candidate, data));
        if (quantize.choosePerTensor() && data == null) {
            throw new SettingException("per_channel", "auto measures the outputs on calibration data; give --calib");
        }
    }

    /** 1 and 64, or 1 and 8 where a sample has more than {@link #LARGE_SAMPLE} values. */
    static List<Integer> defaultBatches(long sampleValues) {
        return sampleValues > LARGE_SAMPLE ? LARGE_BATCHES : BATCHES;
    }

    MeasuredQuantization(List<Pass> passes, Pass quantizePass, Step.Quantize quantize, PassContext context,
            Timing timing, Judge judge) {
        int at = passes.indexOf(quantizePass);
        this.before = passes.subList(0, at);
        this.quantize = quantize;
        this.after = passes.subList(at + 1, passes.size());
        this.context = context;
        this.timing = timing;
        this.judge = judge;
    }

    /**
     * Runs the passes on {@code model}, with the quantize step taking weights per tensor where the
     * accuracy holds and leaving float where the timing says.
     */
    List<PassPipeline.Step> run(Model model) {
        List<PassPipeline.Step> steps = new ArrayList<>(new PassPipeline(before).run(model, context));
        Path snapshot = null;
        try {
            snapshot = Files.createTempFile("edgecompress-measured-quantization", ".onnx");
            ModelExporter.write(model, snapshot);
            Path unquantized = snapshot;
            Map<String, Object> measured = new LinkedHashMap<>();
            byte[] best = trial(snapshot, Set.of(), Set.of());
            Set<String> perTensor = Set.of();
            if (quantize.choosePerTensor()) {
                byte[] before = Files.readAllBytes(snapshot);
                context.progress("per_channel=auto: weights per tensor where the outputs keep their SQNR", 0);
                PerTensorWeights.Choice choice = PerTensorWeights.choose(
                        PerTensorWeights.candidates(model, quantize.config()), best,
                        nodes -> trial(unquantized, Set.of(), nodes), candidate -> judge.sqnrDb(before, candidate));
                perTensor = choice.nodes();
                best = choice.model();
                measured.put("per_tensor_trials", choice.trials());
            }
            List<String> kept = new ArrayList<>();
            if (quantize.keepFaster()) {
                List<String> trials = new ArrayList<>();
                for (Candidate candidate : candidates(model)) {
                    if (kept.contains(candidate.opType())) {
                        continue; // its op type is float already
                    }
                    Set<String> floatNodes = new LinkedHashSet<>(kept);
                    floatNodes.add(candidate.name());
                    context.progress("keep_faster: " + candidate.name() + " in float",
                            (double) trials.size() / MAX_NODE_TRIALS);
                    byte[] trial = trial(snapshot, floatNodes, perTensor);
                    Comparison comparison = timing.compare(best, trial, floatNodes);
                    trials.add(candidate.name() + ": " + comparison);
                    if (comparison.faster()) {
                        kept.add(candidate.name());
                        best = trial;
                    }
                }
                measured.put("kept_float", kept);
                measured.put("keep_faster_trials", trials);
            }
            List<PassPipeline.Step> tail = new PassPipeline(passesLeaving(new LinkedHashSet<>(kept), perTensor))
                    .run(model, context);
            Map<String, Object> details = new LinkedHashMap<>(tail.get(0).changed());
            details.putAll(measured);
            PassPipeline.Step first = tail.get(0);
            List<String> warnings = new ArrayList<>(first.warnings());
            List<String> requantized = kept.stream().filter(name -> quantizedAtLoad(model, name)).toList();
            if (!requantized.isEmpty()) {
                warnings.add("keep_faster kept " + String.join(", ", requantized) + " float in the file, yet ONNX"
                        + " Runtime quantizes its weight itself as it loads (int8 per tensor: its input is int8 and"
                        + " its output goes to a QuantizeLinear), and that is what was timed and what runs");
            }
            if (!kept.isEmpty() && warnings.removeIf(w -> w.startsWith(first.pass() + " changed nothing"))) {
                warnings.add(first.pass() + " left every weighted node float (" + String.join(", ", kept)
                        + "): their int8 forms ran slower than float on ONNX Runtime (keep_faster; the report's"
                        + " keep_faster_trials has the timings)");
            }
            steps.add(new PassPipeline.Step(first.pass(), first.params(), first.seconds(), details, warnings));
            steps.addAll(tail.subList(1, tail.size()));
            return steps;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (snapshot != null) {
                snapshot.toFile().delete();
            }
        }
    }

    /**
     * Whether ONNX Runtime quantizes the float weight of the node named {@code name} when it loads
     * {@code model} (its WeightBiasQuantization rewrite): a Conv, ConvTranspose or Gemm with a float
     * constant weight whose input comes from a DequantizeLinear with one scale and whose output
     * reaches a QuantizeLinear through nothing but single-consumer Relu or Clip nodes.
     */
    static boolean quantizedAtLoad(Model model, String name) {
        Node node = model.graph().allNodes().stream().filter(n -> name.equals(n.name())).findFirst().orElse(null);
        if (node == null || !QUANTIZED_AT_LOAD.contains(node.opType())
                || !node.normalizedDomain().isEmpty() || node.input(1) == null || node.input(1).constValue() == null
                || node.input(1).constValue().type() != DataType.FLOAT) {
            return false;
        }
        Node dequantize = node.input(0) == null ? null : node.input(0).producer();
        if (dequantize == null || !dequantize.opType().equals("DequantizeLinear") || dequantize.input(1) == null
                || dequantize.input(1).constValue() == null || dequantize.input(1).constValue().elementCount() != 1) {
            return false;
        }
        for (Node current = node; ; ) {
            if (current.outputs().size() != 1 || current.output(0).uses().size() != 1) {
                return false;
            }
            Node consumer = current.output(0).uses().get(0).node();
            if (consumer.opType().equals("QuantizeLinear")) {
                return true;
            }
            if (!consumer.opType().equals("Relu") && !consumer.opType().equals("Clip")) {
                return false;
            }
            current = consumer;
        }
    }

    /** A name to leave float: an op type (every node of it), or a node's with its op type. */
    private record Candidate(String name, String opType) {
    }

    /**
     * What to try in float, in order: each weighted op type as a whole, then the named narrow nodes
     * in graph order (a stem first: it has the most outputs, where squeeze-excitation's 1 x 1
     * convolutions, narrow too, have one a channel), then the other named weighted nodes, largest
     * weight first.
     */
    private static List<Candidate> candidates(Model model) {
        Set<String> types = new LinkedHashSet<>();
        List<Node> nodes = new ArrayList<>();
        for (Node node : model.graph().allNodes()) {
            if (WEIGHTED.contains(node.opType()) && node.normalizedDomain().isEmpty() && node.input(1) != null
                    && node.input(1).constValue() != null) {
                types.add(node.opType());
                if (node.name() != null && !node.name().isEmpty()) {
                    nodes.add(node);
                }
            }
        }
        Map<Boolean, List<Node>> byNarrow = nodes.stream()
                .collect(Collectors.partitioningBy(MeasuredQuantization::narrow));
        List<Node> ordered = new ArrayList<>(byNarrow.get(true));
        byNarrow.get(false).stream()
                .sorted(Comparator.comparingLong((Node n) -> -n.input(1).constValue().elementCount()))
                .forEach(ordered::add);
        List<Candidate> candidates = new ArrayList<>();
        types.forEach(type -> candidates.add(new Candidate(type, null)));
        ordered.stream().limit(MAX_NODE_TRIALS).forEach(n -> candidates.add(new Candidate(n.name(), n.opType())));
        return candidates;
    }

    /** Fewer than {@link #NARROW_DEPTH} products an output value, and not a depthwise convolution. */
    static boolean narrow(Node node) {
        long[] dims = node.input(1).constValue().dims();
        boolean depthwise = node.opType().equals("Conv") && dims.length > 1 && dims[1] == 1
                && node.intAttribute("group", 1) > 1;
        return !depthwise && productsPerOutput(node) < NARROW_DEPTH;
    }

    /**
     * The products summed for each output value: a convolution's input channels a group times its
     * kernel's area, a Gemm's or MatMul's inner dimension; a ConvTranspose's is not worked out (never
     * narrow).
     */
    static long productsPerOutput(Node node) {
        long[] dims = node.input(1).constValue().dims();
        return switch (node.opType()) {
            case "Conv" -> dims.length == 0 || dims[0] == 0 ? Long.MAX_VALUE
                    : node.input(1).constValue().elementCount() / dims[0];
            case "Gemm" -> dims.length == 2 ? dims[node.intAttribute("transB", 0) == 1 ? 1 : 0] : Long.MAX_VALUE;
            case "MatMul" -> dims.length >= 2 ? dims[dims.length - 2] : Long.MAX_VALUE;
            default -> Long.MAX_VALUE;
        };
    }

    /**
     * The quantization pass leaving {@code floatNodes} float and the weights of {@code perTensor} per
     * tensor (the step's fusion ran before), then the rest.
     */
    private List<Pass> passesLeaving(Set<String> floatNodes, Set<String> perTensor) {
        List<Pass> made = quantize.withExclude(floatNodes).withPerTensor(perTensor).passes();
        List<Pass> passes = new ArrayList<>(List.of(made.get(made.size() - 1)));
        passes.addAll(after);
        return passes;
    }

    /** The quantize step and what follows it, on a fresh copy of the snapshot, as {@link #passesLeaving}. */
    private byte[] trial(Path snapshot, Set<String> floatNodes, Set<String> perTensor) {
        Model copy;
        try {
            copy = ModelImporter.load(snapshot);
        } catch (ModelFormatException e) {
            throw new IllegalStateException("the model before quantization does not read back: " + e.getMessage(), e);
        }
        new PassPipeline(passesLeaving(floatNodes, perTensor)).run(copy, context);
        try {
            return ModelExporter.toBytes(copy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lowest SQNR of {@code candidate}'s outputs against {@code before}'s on {@code data}. */
    private static double sqnrDb(byte[] before, byte[] candidate, Dataset data) {
        try (InferenceSession reference = InferenceSession.open(before, SessionConfig.defaults());
                InferenceSession quantized = InferenceSession.open(candidate, SessionConfig.defaults())) {
            return Evaluation.run(reference, quantized, data, JUDGE_BATCH, Progress.NONE).comparison()
                    .sqnrDbByOutput().values().stream().mapToDouble(Double::doubleValue).min()
                    .orElse(Double.POSITIVE_INFINITY);
        } catch (DataFormatException e) {
            throw new IllegalStateException("the data no longer fit the model: " + e.getMessage(), e);
        }
    }

    /** How a trial compares with the best so far: its speedup at each batch, with the intervals. */
    record Comparison(Map<Integer, double[]> speedups) {

        /** Faster beyond the noise at some batch, slower at none. */
        boolean faster() {
            boolean gain = speedups.values().stream().anyMatch(s -> s[1] >= GAIN);
            boolean loss = speedups.values().stream().anyMatch(s -> s[0] < TOLERANCE);
            return gain && !loss;
        }

        @Override
        public String toString() {
            List<String> parts = new ArrayList<>();
            speedups.forEach((batch, s) -> parts.add(String.format(Locale.ROOT, "batch %d %.2fx (%.2f-%.2f)", batch,
                    s[0], s[1], s[2])));
            return String.join(", ", parts) + (faster() ? ", kept" : "");
        }
    }

    /** {@code trial}'s speed against {@code best}'s, timed alternately in one ONNX Runtime process. */
    private static Comparison compare(byte[] best, byte[] trial, Dataset data, SyntheticInputs.Overrides overrides,
            List<Integer> batches) {
        SessionConfig config = SessionConfig.defaults().withoutSpinning();
        Map<Integer, double[]> speedups = new LinkedHashMap<>();
        try (InferenceSession a = InferenceSession.open(best, config);
                InferenceSession b = InferenceSession.open(trial, config)) {
            Map<String, Tensor> one = SyntheticInputs.feeds(data, a.inputs(), overrides, 1, 17);
            long sample = one.values().stream().mapToLong(Tensor::elementCount).sum();
            for (int batch : batches != null ? batches : defaultBatches(sample)) {
                Map<String, Tensor> feeds = batch == 1 ? one
                        : SyntheticInputs.feeds(data, a.inputs(), overrides, batch, 17);
                Latency.Speedup s = Latency.timePools(List.of(List.of(a), List.of(b)), List.of(feeds, feeds), PLAN,
                        Progress.NONE).speedup(0, 1);
                speedups.putIfAbsent(SyntheticInputs.batchOf(feeds), new double[] {s.median(), s.low(), s.high()});
            }
        } catch (DataFormatException e) {
            throw new IllegalStateException("the data no longer fit the model: " + e.getMessage(), e);
        }
        return new Comparison(speedups);
    }
}
