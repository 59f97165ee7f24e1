package dev.edgecompress.pipeline;

import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.training.BatchNormMode;
import dev.edgecompress.ir.training.LearningRateDecay;
import dev.edgecompress.ir.training.Optimizer;
import dev.edgecompress.ir.training.TrainingSettings;
import dev.edgecompress.passes.Cleanup;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.clustering.ClusteringConfig;
import dev.edgecompress.passes.finetune.FineTuneConfig;
import dev.edgecompress.passes.float16.Float16Config;
import dev.edgecompress.passes.lowrank.LowRankConfig;
import dev.edgecompress.passes.pruning.PolynomialDecay;
import dev.edgecompress.passes.pruning.PruningConfig;
import dev.edgecompress.passes.quantization.CalibrationMethod;
import dev.edgecompress.passes.quantization.QuantizationConfig;
import dev.edgecompress.passes.quantization.int4.Int4Config;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads steps from their descriptions: a type and its parameters, as a recipe file's steps hold
 * them and as command-line options are turned into ({@code --prune l1:0.8} is
 * {@code {"type": "prune", "method": "l1", "sparsity": 0.8}}), so both mean the same thing.
 *
 * <pre>
 * prune        method: magnitude | l1 | channels, sparsity (of weights; of channels for channels),
 *              layers {name: sparsity} (magnitude, channels), skip [names], min_elements
 * quantize     mode: static | dynamic | qat, calibration: minmax | percentile | entropy, percentile,
 *              per_channel (default true; auto, static only: Gemm and MatMul weights per tensor where the
 *              outputs on the calibration data lose at most 1 dB of SQNR, measured),
 *              activations: uint8 | int8, exclude [node names or op types],
 *              keep_faster (static, dynamic: leave float the weighted nodes whose int8 form runs slower,
 *              measured on ONNX Runtime), fuse (static, dynamic: ONNX Runtime's fused transformer
 *              kernels first; default true); qat (quantization-aware training, then static) also takes
 *              finetune's training fields,
 *              with epochs 2 and lr 0.00001 by default;
 *              mode fp16 (float16 weights and computation) takes keep_io (default true), compute (fp16, or
 *              fp32: float16 weights widened when the model loads) and exclude;
 *              mode int4 (4-bit weight-only MatMul and Gemm) takes block (default 32), method (rtn | hqq |
 *              gptq, which calibrates), format (matmulnbits | qdq), accuracy_level (0-4) and exclude
 * cluster      clusters (2-256 shared values per layer or channel; zeros stay), per: layer | channel,
 *              init: kmeans++ | linear, skip [names]
 * low-rank     energy (kept fraction of singular-value energy) | ratio (kept fraction of each layer's
 *              parameters) | budget (kept fraction of all their parameters, spread by spectra), skip
 * finetune     epochs, lr (default 0.001), batch (default 64), optimizer (adam | sgd | momentum |
 *              rmsprop | adagrad), weight_decay (L2, default 0), decay (constant | cosine | step),
 *              distill (share of the loss learning the original model's outputs), temperature
 *              (default 1), early_stop (end once held-out accuracy meets the accuracy gate),
 *              batch_norm (train: batch statistics, running ones updated; frozen):
 *              training on labelled data (or on the original model's outputs alone);
 *              schedule {final_sparsity, end_step, ...}: prune gradually while training (see schedule)
 * cleanup      (all cleanup passes, in order)
 * fold-batchnorm, remove-identity, fold-constants, remove-dead-nodes
 * </pre>
 */
public final class StepParser {

    /** The fields of a fine-tuning step, which quantization-aware training takes too. */
    private static final Set<String> TRAINING_KEYS = new LinkedHashSet<>(List.of("epochs", "lr", "batch", "optimizer",
            "weight_decay", "decay", "distill", "temperature", "early_stop", "batch_norm"));

    /** Quantization-aware training's defaults: a short fine-tuning at a small step size (see BENCHMARKS). */
    static final double QAT_EPOCHS = 2;
    static final double QAT_LEARNING_RATE = 1e-5;

    private static final Set<String> SCHEDULE_KEYS = Set.of("initial_sparsity", "final_sparsity", "begin_step",
            "end_step", "frequency", "power");

    private StepParser() {
    }

    /** The step a type and its parameters describe; a bad field throws naming it. */
    public static Step parse(String type, Map<String, Object> params) {
        Map<String, Object> p = new LinkedHashMap<>(params);
        return switch (type) {
            case "prune" -> prune(p);
            case "quantize" -> quantize(p);
            case "low-rank" -> lowRank(p);
            case "cluster" -> {
                known(p, Set.of("clusters", "per", "init", "skip"));
                String per = string(p, "per", "layer");
                if (!per.equals("layer") && !per.equals("channel")) {
                    throw new SettingException("per", "must be layer or channel, got '" + per + "'");
                }
                yield new Step.Cluster(new ClusteringConfig((int) (double) number(p, "clusters", null),
                        per.equals("channel"), ClusteringConfig.Init.parse(string(p, "init", "kmeans++")),
                        names(p, "skip")));
            }
            case "finetune" -> {
                Set<String> fields = new LinkedHashSet<>(TRAINING_KEYS);
                fields.add("schedule");
                known(p, fields);
                yield new Step.FineTune(training(p, null, 1e-3));
            }
            default -> {
                for (Step.CleanupKind kind : Step.CleanupKind.values()) {
                    if (kind.type().equals(type)) {
                        known(p, Set.of());
                        yield new Step.Cleanup(kind);
                    }
                }
                throw new SettingException("type", "unknown step type '" + type
                        + "'; known: prune, quantize, cluster, low-rank, finetune, cleanup, fold-batchnorm, remove-identity,"
                        + " fold-constants, remove-dead-nodes");
            }
        };
    }

    /** The passes of the step a type and its parameters describe. */
    public static List<Pass> passes(String type, Map<String, Object> params) {
        return parse(type, params).passes();
    }

    /**
     * A gradual pruning schedule from its parameters ({@code initial_sparsity}, default 0;
     * {@code final_sparsity}; {@code begin_step}, default 0; {@code end_step}; {@code frequency},
     * default 100; {@code power}, default 3), as a fine-tuning step's {@code schedule} field holds them.
     */
    public static PolynomialDecay schedule(Map<String, Object> params) {
        Map<String, Object> p = new LinkedHashMap<>(params);
        known(p, SCHEDULE_KEYS);
        return new PolynomialDecay(number(p, "initial_sparsity", 0.0), number(p, "final_sparsity", null),
                (long) (double) number(p, "begin_step", 0.0), (long) (double) number(p, "end_step", null),
                (long) (double) number(p, "frequency", 100.0), number(p, "power", 3.0));
    }

    /** The step a {@code --prune METHOD:SPARSITY} option stands for. */
    public static Map<String, Object> pruneOption(String text) {
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new SettingException("prune", "expects METHOD:SPARSITY (for example l1:0.8), got '" + text + "'");
        }
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("method", text.substring(0, colon));
        try {
            step.put("sparsity", Double.parseDouble(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new SettingException("sparsity", "must be a number, got '" + text.substring(colon + 1) + "'");
        }
        return step;
    }

    private static FineTuneConfig training(Map<String, Object> p, Double defaultEpochs, double defaultRate) {
        TrainingSettings settings = new TrainingSettings((int) (double) number(p, "epochs", defaultEpochs),
                number(p, "lr", defaultRate), (int) (double) number(p, "batch", (double) TrainingSettings.DEFAULT_BATCH),
                Optimizer.parse(string(p, "optimizer", "adam")), number(p, "weight_decay", 0.0),
                LearningRateDecay.parse(string(p, "decay", "constant")),
                BatchNormMode.parse(string(p, "batch_norm", "train")));
        return new FineTuneConfig(settings, number(p, "distill", 0.0),
                number(p, "temperature", FineTuneConfig.DEFAULT_TEMPERATURE), pruningSchedule(p), flag(p, "early_stop"),
                false);
    }

    /** The fields of a quantize step that say how to quantize (qat adds the training fields). */
    public static final Set<String> QUANTIZATION_KEYS = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(
            List.of("mode", "calibration", "percentile", "per_channel", "activations", "exclude", "keep_faster", "fuse")));

    private static Step quantize(Map<String, Object> p) {
        String mode = string(p, "mode", "static");
        if (mode.equals("fp16")) {
            known(p, Set.of("mode", "keep_io", "compute", "exclude"));
            String compute = string(p, "compute", "fp16");
            if (!compute.equals("fp16") && !compute.equals("fp32")) {
                throw new SettingException("compute", "must be fp16 or fp32, got '" + compute + "'");
            }
            return new Step.Float16(new Float16Config(flag(p, "keep_io", true), compute.equals("fp16"),
                    names(p, "exclude")));
        }
        if (mode.equals("int4")) {
            known(p, Set.of("mode", "block", "method", "format", "accuracy_level", "exclude"));
            return new Step.Int4(new Int4Config((int) (double) number(p, "block", (double) Int4Config.DEFAULT_BLOCK),
                    Int4Config.Method.parse(string(p, "method", "rtn")),
                    Int4Config.Format.parse(string(p, "format", "matmulnbits")),
                    (int) (double) number(p, "accuracy_level", 0.0), names(p, "exclude")));
        }
        Set<String> fields = new LinkedHashSet<>(QUANTIZATION_KEYS);
        if (mode.equals("qat")) {
            fields.addAll(TRAINING_KEYS);
        }
        known(p, fields);
        boolean choosePerTensor = AUTO.equals(p.get("per_channel"));
        if (p.get("per_channel") instanceof String word && !choosePerTensor) {
            throw new SettingException("per_channel", "must be true, false or auto, got '" + word + "'");
        }
        if (choosePerTensor && !mode.equals("static")) {
            throw new SettingException("per_channel", "auto measures static int8; " + mode + " takes true or false");
        }
        boolean perChannel = choosePerTensor || flag(p, "per_channel", true);
        String activations = string(p, "activations", "uint8");
        if (!activations.equals("uint8") && !activations.equals("int8")) {
            throw new SettingException("activations", "must be uint8 or int8, got '" + activations + "'");
        }
        QuantizationConfig config = new QuantizationConfig(CalibrationMethod.parse(string(p, "calibration", "minmax")),
                number(p, "percentile", QuantizationConfig.DEFAULT_PERCENTILE), perChannel,
                activations.equals("int8"), names(p, "exclude"));
        return switch (mode) {
            case "static" -> new Step.Quantize(Step.QuantizeMode.STATIC, config, null, flag(p, "keep_faster"),
                    flag(p, "fuse", true), choosePerTensor);
            case "dynamic" -> new Step.Quantize(Step.QuantizeMode.DYNAMIC, config, null, flag(p, "keep_faster"),
                    flag(p, "fuse", true), false);
            case "qat" -> new Step.Quantize(Step.QuantizeMode.QAT, config, training(p, QAT_EPOCHS, QAT_LEARNING_RATE),
                    flag(p, "keep_faster"), flag(p, "fuse"), false);
            default -> throw new SettingException("mode", "must be static, dynamic, qat, fp16 or int4, got '"
                    + mode + "'");
        };
    }

    private static Step.LowRank lowRank(Map<String, Object> p) {
        known(p, Set.of("energy", "ratio", "budget", "skip"));
        return new Step.LowRank(new LowRankConfig(number(p, "energy", Double.NaN),
                number(p, "ratio", Double.NaN), number(p, "budget", Double.NaN), names(p, "skip")));
    }

    /**
     * The step a {@code --finetune epochs=N,lr=X[,batch=B][,final_sparsity=S,end_step=T,...]} option
     * stands for; schedule keys make a gradual pruning schedule.
     */
    public static Map<String, Object> finetuneOption(String text) {
        return trainingOption("finetune", text.split(","));
    }

    /**
     * The step a {@code --quantize static|dynamic|qat[,epochs=N,lr=X,...]} option stands for: the
     * mode, and for qat the training fields of {@link #finetuneOption}.
     */
    public static Map<String, Object> quantizeOption(String text) {
        String[] parts = text.split(",");
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("mode", parts[0].trim());
        step.putAll(trainingOption("quantize", java.util.Arrays.copyOfRange(parts, 1, parts.length)));
        return step;
    }

    /** The word that asks a field's value to be chosen by measurement ({@code per_channel=auto}). */
    private static final String AUTO = "auto";

    /** Option fields whose values are words, not numbers. */
    private static final Set<String> STRING_KEYS = Set.of("decay", "optimizer", "batch_norm", "compute", "method",
            "format", "per", "init");

    private static Map<String, Object> trainingOption(String option, String[] parts) {
        Map<String, Object> step = new LinkedHashMap<>();
        for (String part : parts) {
            int equals = part.indexOf('=');
            if (equals < 0) {
                throw new SettingException(option, "expects key=value pairs such as epochs=3,lr=0.001, got '"
                        + part + "'");
            }
            String key = part.substring(0, equals).trim();
            // Schedule keys (final_sparsity=0.9,end_step=2000, ...) go to the step's gradual pruning schedule.
            @SuppressWarnings("unchecked")
            Map<String, Object> target = SCHEDULE_KEYS.contains(key)
                    ? (Map<String, Object>) step.computeIfAbsent("schedule", k -> new LinkedHashMap<String, Object>())
                    : step;
            String value = part.substring(equals + 1).trim();
            if (STRING_KEYS.contains(key) || value.equals(AUTO)) {
                target.put(key, value);
                continue;
            }
            if (value.equals("true") || value.equals("false")) {
                target.put(key, Boolean.parseBoolean(value));
                continue;
            }
            try {
                target.put(key, Double.parseDouble(value));
            } catch (NumberFormatException e) {
                throw new SettingException(key, (key.equals("per_channel") ? "must be true, false or auto"
                        : "must be a number") + ", got '" + value + "'");
            }
        }
        return step;
    }

    /** The step a {@code --cluster K[,per=channel][,init=linear]} option stands for. */
    public static Map<String, Object> clusterOption(String text) {
        String[] parts = text.split(",");
        Map<String, Object> step = new LinkedHashMap<>();
        try {
            step.put("clusters", Double.parseDouble(parts[0].trim()));
        } catch (NumberFormatException e) {
            throw new SettingException("clusters", "must be a number, got '" + parts[0] + "'");
        }
        step.putAll(trainingOption("cluster", java.util.Arrays.copyOfRange(parts, 1, parts.length)));
        return step;
    }

    /** The step a {@code --low-rank energy:E}, {@code ratio:R} or {@code budget:B} option stands for. */
    public static Map<String, Object> lowRankOption(String text) {
        int colon = text.indexOf(':');
        String kind = colon < 0 ? "" : text.substring(0, colon);
        if (!Set.of("energy", "ratio", "budget").contains(kind)) {
            throw new SettingException("low-rank", "expects energy:E, ratio:R or budget:B (for example energy:0.9),"
                    + " got '" + text + "'");
        }
        try {
            return Map.of(kind, Double.parseDouble(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new SettingException(kind, "must be a number, got '" + text.substring(colon + 1) + "'");
        }
    }

    private static Step.Prune prune(Map<String, Object> p) {
        known(p, Set.of("method", "sparsity", "layers", "skip", "min_elements"));
        String method = string(p, "method", null);
        PruningConfig config = new PruningConfig(number(p, "sparsity", null), layers(p), names(p, "skip"),
                (long) (double) number(p, "min_elements", (double) PruningConfig.DEFAULT_MIN_ELEMENTS));
        for (Step.PruneMethod known : Step.PruneMethod.values()) {
            if (known.id().equals(method)) {
                return new Step.Prune(known, config);
            }
        }
        throw new SettingException("method", "must be magnitude, l1 or channels, got '" + method + "'");
    }

    private static void known(Map<String, Object> params, Set<String> fields) {
        for (String field : params.keySet()) {
            if (!fields.contains(field)) {
                throw new SettingException(field, "unknown field" + (fields.isEmpty() ? " (this step takes none)"
                        : "; known: " + String.join(", ", new ArrayList<>(fields))));
            }
        }
    }

    private static String string(Map<String, Object> p, String field, String fallback) {
        Object value = p.get(field);
        if (value == null) {
            if (fallback == null) {
                throw new SettingException(field, "is required");
            }
            return fallback;
        }
        if (!(value instanceof String text)) {
            throw new SettingException(field, "must be a string, got " + value);
        }
        return text;
    }

    private static Double number(Map<String, Object> p, String field, Double fallback) {
        Object value = p.get(field);
        if (value == null) {
            if (fallback == null) {
                throw new SettingException(field, "is required");
            }
            return fallback;
        }
        if (!(value instanceof Number number)) {
            throw new SettingException(field, "must be a number, got " + value);
        }
        return number.doubleValue();
    }

    /** A flag: true or false in a recipe, 1 or 0 on the command line; false when absent. */
    private static boolean flag(Map<String, Object> p, String field) {
        return flag(p, field, false);
    }

    private static boolean flag(Map<String, Object> p, String field, boolean absent) {
        Object value = p.getOrDefault(field, absent);
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof Number n && (n.doubleValue() == 0 || n.doubleValue() == 1)) {
            return n.doubleValue() == 1;
        }
        throw new SettingException(field, "must be true or false (1 or 0), got " + value);
    }

    private static Map<String, Double> layers(Map<String, Object> p) {
        Object value = p.get("layers");
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new SettingException("layers", "must map weight or node names to sparsities");
        }
        Map<String, Double> layers = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof Number n)) {
                throw new SettingException("layers." + e.getKey(), "must be a number, got " + e.getValue());
            }
            layers.put(String.valueOf(e.getKey()), n.doubleValue());
        }
        return layers;
    }

    private static PolynomialDecay pruningSchedule(Map<String, Object> p) {
        Object value = p.get("schedule");
        if (value == null) {
            return null;
        }
        if (!(value instanceof Map<?, ?> map) || map.keySet().stream().anyMatch(k -> !(k instanceof String))) {
            throw new SettingException("schedule", "must be an object such as {\"final_sparsity\": 0.9, \"end_step\": 2000}");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> params = (Map<String, Object>) map;
        return schedule(params);
    }

    private static Set<String> names(Map<String, Object> p, String field) {
        Object value = p.get(field);
        if (value == null) {
            return Set.of();
        }
        if (!(value instanceof List<?> list) || list.stream().anyMatch(x -> !(x instanceof String))) {
            throw new SettingException(field, "must be a list of names");
        }
        Set<String> names = new LinkedHashSet<>();
        list.forEach(x -> names.add((String) x));
        return names;
    }
}
