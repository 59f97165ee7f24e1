package dev.edgecompress.pipeline;

import dev.edgecompress.ir.SettingException;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.cleanup.FoldBatchNormPass;
import dev.edgecompress.passes.clustering.ClusteringConfig;
import dev.edgecompress.passes.clustering.WeightClusteringPass;
import dev.edgecompress.passes.cleanup.FoldConstantsPass;
import dev.edgecompress.passes.cleanup.RemoveDeadNodesPass;
import dev.edgecompress.passes.cleanup.RemoveIdentityPass;
import dev.edgecompress.passes.finetune.FineTuneConfig;
import dev.edgecompress.passes.float16.Float16Config;
import dev.edgecompress.passes.float16.Float16ConversionPass;
import dev.edgecompress.passes.finetune.FineTuningPass;
import dev.edgecompress.passes.fusion.TransformerFusionPass;
import dev.edgecompress.passes.lowrank.LowRankConfig;
import dev.edgecompress.passes.lowrank.LowRankFactorizationPass;
import dev.edgecompress.passes.pruning.ChannelPruningPass;
import dev.edgecompress.passes.pruning.GlobalL1PruningPass;
import dev.edgecompress.passes.pruning.MagnitudePruningPass;
import dev.edgecompress.passes.pruning.PruningConfig;
import dev.edgecompress.passes.quantization.DynamicQuantizationPass;
import dev.edgecompress.passes.quantization.QuantizationAwareTrainingPass;
import dev.edgecompress.passes.quantization.QuantizationConfig;
import dev.edgecompress.passes.quantization.StaticQuantizationPass;
import dev.edgecompress.passes.quantization.int4.Int4Config;
import dev.edgecompress.passes.quantization.int4.WeightOnlyInt4Pass;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One step of a compression pipeline, as a recipe file's {@code steps} and the command-line pass
 * options both describe it ({@link StepParser} reads either into these records). Each step makes
 * its own passes.
 */
public sealed interface Step {

    /** The step's type as recipes name it: prune, quantize, low-rank, finetune, cleanup, ... */
    String type();

    /** The passes this step runs, in order. */
    List<Pass> passes();

    /** How the step trains, or null when it does not (fine-tuning, quantization-aware training). */
    default FineTuneConfig training() {
        return null;
    }

    /**
     * This step as it runs after a {@code cluster} step: training keeps the clustered weights'
     * shared values (Deep Compression's order: prune, train, cluster, train the shared values,
     * quantize).
     */
    default Step afterClustering() {
        return this;
    }

    /** The unstructured or channel pruning methods. */
    enum PruneMethod {
        /** Per weight: each weight's smallest magnitudes. */
        MAGNITUDE,
        /** One global threshold over all weights (as PyTorch's global_unstructured with L1). */
        L1,
        /** Whole output channels, by their L1 norms, with every layer that reads them. */
        CHANNELS;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Pruning: {@code prune} with method, sparsity, layers, skip, min_elements. */
    record Prune(PruneMethod method, PruningConfig config) implements Step {
        @Override
        public String type() {
            return "prune";
        }

        @Override
        public List<Pass> passes() {
            return List.of(switch (method) {
                case MAGNITUDE -> new MagnitudePruningPass(config);
                case L1 -> new GlobalL1PruningPass(config);
                case CHANNELS -> new ChannelPruningPass(config);
            });
        }
    }

    /** How int8 quantization finds activation ranges. */
    enum QuantizeMode {
        /** QDQ with ranges calibrated on data. */
        STATIC,
        /** Weights int8, activations quantized as the model runs. */
        DYNAMIC,
        /** Quantization-aware training, then static QDQ with the trained ranges. */
        QAT;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * int8 quantization: {@code quantize} with mode, calibration, percentile, per_channel,
     * activations, exclude, keep_faster; qat also takes finetune's training fields.
     *
     * @param training how quantization-aware training trains; null unless the mode is qat
     * @param keepFaster whether the weighted nodes whose int8 form is slower than float, measured on
     *     ONNX Runtime, stay float ({@link MeasuredQuantization}); static and dynamic only
     * @param fuse whether ONNX Runtime's fused transformer kernels (attention, skip layer
     *     normalization, GELU) replace the subgraphs that spell them out first
     *     ({@link TransformerFusionPass}); static and dynamic only, on by default
     * @param choosePerTensor whether Gemm and MatMul weights go per tensor where the outputs keep
     *     their accuracy, measured ({@link PerTensorWeights}); static only
     */
    record Quantize(QuantizeMode mode, QuantizationConfig config, FineTuneConfig training, boolean keepFaster,
            boolean fuse, boolean choosePerTensor) implements Step {
        public Quantize {
            if ((mode == QuantizeMode.QAT) != (training != null)) {
                throw new IllegalArgumentException("quantization-aware training, and only it, takes training settings");
            }
            if (keepFaster && mode == QuantizeMode.QAT) {
                throw new SettingException("keep_faster", "measures static or dynamic int8; quantization-aware"
                        + " training would train once per measurement");
            }
            if (fuse && mode == QuantizeMode.QAT) {
                throw new SettingException("fuse", "applies to static or dynamic int8; training does not run"
                        + " ONNX Runtime's fused kernels");
            }
            if (choosePerTensor && (mode != QuantizeMode.STATIC || !config.perChannel())) {
                throw new IllegalArgumentException("per-tensor weights are chosen among per-channel static int8 ones");
            }
        }

        /** Without keep_faster or per_channel=auto; fused kernels for static and dynamic int8. */
        public Quantize(QuantizeMode mode, QuantizationConfig config, FineTuneConfig training) {
            this(mode, config, training, false, mode != QuantizeMode.QAT, false);
        }

        /** Whether this step measures what it quantizes how: float where faster, weights per tensor where harmless. */
        boolean measured() {
            return keepFaster || choosePerTensor;
        }

        @Override
        public String type() {
            return "quantize";
        }

        /** The fusion when asked for, then the quantization pass (last: {@link MeasuredQuantization} relies on it). */
        @Override
        public List<Pass> passes() {
            Pass quantize = switch (mode) {
                case STATIC -> new StaticQuantizationPass(config);
                case DYNAMIC -> new DynamicQuantizationPass(config);
                case QAT -> new QuantizationAwareTrainingPass(config, training);
            };
            return fuse ? List.of(new TransformerFusionPass(), quantize) : List.of(quantize);
        }

        @Override
        public Step afterClustering() {
            return training == null ? this : new Quantize(mode, config, training.keepingClusters(), keepFaster, fuse,
                    choosePerTensor);
        }

        /** This step with {@code names} also left in float. */
        public Quantize withExclude(Collection<String> names) {
            Set<String> exclude = new LinkedHashSet<>(config.exclude());
            exclude.addAll(names);
            return new Quantize(mode, config.withExclude(exclude), training, keepFaster, fuse, choosePerTensor);
        }

        /** This step with the weights of the nodes named {@code names} per tensor. */
        public Quantize withPerTensor(Set<String> names) {
            return new Quantize(mode, config.withPerTensor(names), training, keepFaster, fuse, choosePerTensor);
        }
    }

    /**
     * float16 weights and computation: {@code quantize} with mode fp16, keep_io (default true:
     * float32 inputs and outputs) and exclude (node names or op types kept float32).
     */
    record Float16(Float16Config config) implements Step {
        @Override
        public String type() {
            return "quantize";
        }

        @Override
        public List<Pass> passes() {
            return List.of(new Float16ConversionPass(config));
        }
    }

    /**
     * 4-bit weight-only quantization of MatMul and Gemm: {@code quantize} with mode int4, block,
     * method (rtn, hqq, gptq), format (matmulnbits, qdq), accuracy_level and exclude.
     */
    record Int4(Int4Config config) implements Step {
        @Override
        public String type() {
            return "quantize";
        }

        @Override
        public List<Pass> passes() {
            return List.of(new WeightOnlyInt4Pass(config));
        }
    }

    /**
     * Weight clustering: {@code cluster} with clusters, per (layer or channel), init (kmeans++ or
     * linear) and skip.
     */
    record Cluster(ClusteringConfig config) implements Step {
        @Override
        public String type() {
            return "cluster";
        }

        @Override
        public List<Pass> passes() {
            return List.of(new WeightClusteringPass(config));
        }
    }

    /** SVD low-rank factorization: {@code low-rank} with energy, ratio or budget, and skip. */
    record LowRank(LowRankConfig config) implements Step {
        @Override
        public String type() {
            return "low-rank";
        }

        @Override
        public List<Pass> passes() {
            return List.of(new LowRankFactorizationPass(config));
        }
    }

    /** Fine-tuning: {@code finetune} with the training fields and an optional gradual pruning schedule. */
    record FineTune(FineTuneConfig training) implements Step {
        @Override
        public String type() {
            return "finetune";
        }

        @Override
        public List<Pass> passes() {
            return List.of(new FineTuningPass(training));
        }

        @Override
        public Step afterClustering() {
            return new FineTune(training.keepingClusters());
        }
    }

    /** The cleanup passes, all of them or one. */
    enum CleanupKind {
        ALL("cleanup"), FOLD_BATCHNORM("fold-batchnorm"), REMOVE_IDENTITY("remove-identity"),
        FOLD_CONSTANTS("fold-constants"), REMOVE_DEAD_NODES("remove-dead-nodes");

        private final String type;

        CleanupKind(String type) {
            this.type = type;
        }

        public String type() {
            return type;
        }
    }

    /** Cleanup: {@code cleanup} (all passes, in order) or one of them by its name; no fields. */
    record Cleanup(CleanupKind kind) implements Step {
        @Override
        public String type() {
            return kind.type();
        }

        @Override
        public List<Pass> passes() {
            return switch (kind) {
                case ALL -> dev.edgecompress.passes.Cleanup.passes();
                case FOLD_BATCHNORM -> List.of(new FoldBatchNormPass());
                case REMOVE_IDENTITY -> List.of(new RemoveIdentityPass());
                case FOLD_CONSTANTS -> List.of(new FoldConstantsPass());
                case REMOVE_DEAD_NODES -> List.of(new RemoveDeadNodesPass());
            };
        }
    }
}
