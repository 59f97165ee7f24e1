package dev.edgecompress.passes.pruning;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Structured L1-norm channel pruning: in each group of {@link ChannelGroups} the fraction
 * {@code sparsity} of output channels with the smallest L1 norm (summed over the group's
 * producers) is removed, and every tensor that carries those channels shrinks: producer weights
 * and biases, BatchNormalization parameters, per-channel constants, and the input channels of the
 * consumers, also behind a channel-axis Concat, where the group's channels are one input's range. The model gets physically smaller and faster, unlike unstructured pruning.
 *
 * <pre>
 *   Conv(W [16,6,5,5], b [16]) -> BN [16] -> Relu -> Flatten -> Gemm(W [120, 16*25])
 *   Conv(W [8,6,5,5],  b [8])  -> BN [8]  -> Relu -> Flatten -> Gemm(W [120, 8*25])
 * </pre>
 *
 * Per-layer fractions ({@code layers}) are keyed by a producer's node or weight name; at least one
 * channel always stays.
 */
public final class ChannelPruningPass implements Pass {

    private final PruningConfig config;

    public ChannelPruningPass(PruningConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "prune-channels";
    }

    @Override
    public Map<String, Object> params() {
        return config.params();
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        List<Map<String, Object>> layers = new ArrayList<>();
        for (ChannelGroups.Group group : ChannelGroups.find(model.graph(), config.skip())) {
            double fraction = fractionFor(group);
            int remove = (int) Math.rint(fraction * group.channels);
            int keep = Math.max(1, group.channels - remove);
            if (keep == group.channels) {
                continue;
            }
            int[] kept = strongest(ChannelGroups.channelNorms(group), keep);
            // Slices first: a Concat's offsets are read from the producers as they are now.
            for (ChannelGroups.Slice slice : group.slices) {
                int[] indices = slice.via() == null ? kept : throughConcat(slice.via(), group.channels, kept);
                Value target = slice.target();
                target.replaceConstValue(TensorSlicing.keep(target.constValue(), slice.axis(), indices,
                        slice.repeat()));
            }
            for (ChannelGroups.Producer producer : group.producers) {
                shrinkProducer(producer, kept);
            }
            for (Node depthwise : group.depthwise) {
                depthwise.setAttribute(Attribute.of("group", (long) keep));
            }
            for (Value value : group.reshaped) {
                value.setType(null); // its shape changed; ONNX Runtime infers it again
                model.graph().removeValueInfo(value);
            }
            layers.add(ChannelGroups.describe(group, keep));
        }
        return layers.isEmpty() ? PassResult.unchanged() : PassResult.changed(Map.of("layers", layers));
    }

    private double fractionFor(ChannelGroups.Group group) {
        for (ChannelGroups.Producer p : group.producers) {
            Double byWeight = config.layerSparsity().get(p.weight().name());
            Double byNode = p.node().name() == null ? null : config.layerSparsity().get(p.node().name());
            if (byWeight != null) {
                return byWeight;
            }
            if (byNode != null) {
                return byNode;
            }
        }
        return config.sparsity();
    }

    /**
     * The kept indices in the concatenated channels: every other input's channels, and this
     * input's kept channels at its offset.
     */
    private static int[] throughConcat(ChannelGroups.ConcatInput via, int channels, int[] kept) {
        int[] counts = ChannelGroups.concatInputChannels(via.concat());
        int offset = 0;
        int total = 0;
        for (int i = 0; i < counts.length; i++) {
            offset += i < via.index() ? counts[i] : 0;
            total += counts[i];
        }
        int[] indices = new int[total - channels + kept.length];
        int n = 0;
        for (int c = 0; c < offset; c++) {
            indices[n++] = c;
        }
        for (int k : kept) {
            indices[n++] = offset + k;
        }
        for (int c = offset + channels; c < total; c++) {
            indices[n++] = c;
        }
        return indices;
    }

    /** Indices of the {@code keep} largest norms, in ascending index order (ties: lower index wins). */
    static int[] strongest(double[] norms, int keep) {
        return IntStream.range(0, norms.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(c -> -norms[c]).thenComparingInt(c -> c))
                .limit(keep).mapToInt(Integer::intValue).sorted().toArray();
    }

    private static void shrinkProducer(ChannelGroups.Producer producer, int[] kept) {
        Node node = producer.node();
        Tensor weight = producer.weight().constValue();
        int axis = switch (node.opType()) {
            case "Conv" -> 0;
            case "Gemm" -> node.intAttribute("transB", 0) == 1 ? 0 : 1;
            default -> 1; // MatMul [K, N]
        };
        producer.weight().replaceConstValue(TensorSlicing.keep(weight, axis, kept, 1));
        Value bias = node.input(2);
        if (bias != null && bias.constValue() != null && bias.constValue().rank() >= 1) {
            Tensor b = bias.constValue();
            int biasAxis = b.rank() - 1;
            if (b.dim(biasAxis) == producer.channels()) {
                ChannelGroups.ownBias(node).replaceConstValue(TensorSlicing.keep(b, biasAxis, kept, 1));
            }
        }
    }
}
