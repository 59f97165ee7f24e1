package dev.edgecompress.passes.pruning;

import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Use;
import dev.edgecompress.ir.Value;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds what structured channel pruning can remove, and everything that must shrink with it.
 *
 * <p>A <em>producer</em> is a Conv (group 1), Gemm or MatMul with a constant weight; its output
 * channels are Conv's axis 1 and Gemm/MatMul's last axis. From each producer the channels are
 * followed through ops that keep them (activations, BatchNormalization, pooling, Dropout,
 * Identity, Add/Mul with a per-channel constant, and depthwise convolutions, whose filters and
 * group count shrink with the channels) to <em>consumers</em> whose input channels are
 * the same channels (Conv weight axis 1; Gemm/MatMul weight rows or columns), also after a Flatten
 * of [N, C, H, W], where channel c becomes features c*H*W .. (c+1)*H*W - 1. An Add or Mul of two
 * such values joins their producers into one <em>group</em> that must keep the same channels
 * (residual connections). Through a Concat on the channel axis the channels become one input's
 * range of the concatenated channels, which consumers after it see at that offset. A group whose
 * channels reach anything else (a graph output, Reshape, a subgraph) is left alone.
 */
final class ChannelGroups {

    static final Set<String> PASS_THROUGH = Set.of("Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid",
            "HardSwish", "Elu", "Selu", "Softplus", "Erf", "Dropout", "Identity", "MaxPool", "AveragePool",
            "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization");

    /** A Conv/Gemm/MatMul whose output channels can be removed. */
    record Producer(Node node, Value weight, int channels) {
    }

    /**
     * A weight to slice: keep, along {@code axis}, the kept channels each expanded by
     * {@code repeat}. With {@code via}, the channels reached the weight through a Concat, where
     * they are one input's range among the others' channels. With {@code biasOf}, the value is
     * that node's bias, made its own ({@link #ownBias}) when the slice is applied: finding the
     * groups changes nothing.
     */
    record Slice(Value value, int axis, int repeat, ConcatInput via, Node biasOf) {
        Slice(Value value, int axis, int repeat, ConcatInput via) {
            this(value, axis, repeat, via, null);
        }

        Slice(Value value, int axis, int repeat) {
            this(value, axis, repeat, null, null);
        }

        /** The value to slice now. */
        Value target() {
            return biasOf == null ? value : ownBias(biasOf);
        }
    }

    /** Input {@code index} of a channel-axis Concat. */
    record ConcatInput(Node concat, int index) {
    }

    /** Producers that keep the same channels, and every tensor that must be sliced with them. */
    static final class Group {
        final List<Producer> producers = new ArrayList<>();
        final List<Slice> slices = new ArrayList<>();
        final List<Value> reshaped = new ArrayList<>();
        /** Depthwise convolutions the channels pass through: their group count shrinks with them. */
        final List<Node> depthwise = new ArrayList<>();
        boolean blocked;
        int channels;
    }

    private ChannelGroups() {
    }

    static List<Group> find(Graph graph, Set<String> skip) {
        Map<Node, Group> groupOf = new IdentityHashMap<>();
        List<Group> groups = new ArrayList<>();
        for (Node node : graph.nodes()) {
            Producer producer = producer(node);
            if (producer == null || groupOf.containsKey(node)) {
                continue;
            }
            Group group = new Group();
            group.channels = producer.channels();
            groups.add(group);
            Deque<Producer> pending = new ArrayDeque<>(List.of(producer));
            Map<Value, Boolean> seen = new IdentityHashMap<>();
            while (!pending.isEmpty()) {
                Producer p = pending.pop();
                if (groupOf.containsKey(p.node())) {
                    continue;
                }
                groupOf.put(p.node(), group);
                group.producers.add(p);
                if (p.channels() != group.channels || p.node().name() != null && skip.contains(p.node().name())
                        || skip.contains(p.node().opType()) || skip.contains(p.weight().name())) {
                    group.blocked = true;
                }
                follow(p.node().output(0), group, pending, seen, null);
            }
        }
        return groups.stream().filter(g -> !g.blocked).toList();
    }

    static Producer producer(Node node) {
        if (!node.normalizedDomain().isEmpty() || node.outputs().size() != 1) {
            return null;
        }
        Value weight = node.input(1);
        if (weight == null || weight.constValue() == null || weight.uses().size() != 1 || weight.isGraphInput()) {
            return null;
        }
        Tensor w = weight.constValue();
        Value bias = node.input(2);
        if (bias != null && (bias.constValue() == null || bias.constValue().rank() != 1)) {
            return null; // a bias computed at run time could not shrink with the channels
        }
        return switch (node.opType()) {
            case "Conv" -> node.intAttribute("group", 1) == 1 && w.rank() >= 3
                    ? new Producer(node, weight, (int) w.dim(0)) : null;
            case "Gemm" -> w.rank() == 2 && node.intAttribute("transA", 0) == 0
                    ? new Producer(node, weight, (int) w.dim(node.intAttribute("transB", 0) == 1 ? 0 : 1)) : null;
            case "MatMul" -> w.rank() == 2 ? new Producer(node, weight, (int) w.dim(1)) : null;
            default -> null;
        };
    }

    /**
     * Follows the channels of {@code value} to their consumers, recording what must be sliced;
     * {@code via} is the Concat input they came through, if any.
     */
    private static void follow(Value value, Group group, Deque<Producer> pending, Map<Value, Boolean> seen,
            ConcatInput via) {
        if (seen.put(value, true) != null) {
            return;
        }
        if (value.isGraphOutput()) {
            group.blocked = true;
            return;
        }
        group.reshaped.add(value);
        int width = via == null ? group.channels : concatWidth(via.concat());
        for (Use use : value.uses()) {
            Node node = use.node();
            String op = node.normalizedDomain().isEmpty() ? node.opType() : "";
            if (use.inputIndex() == 0 && op.equals("Conv") && isDepthwise(node, width)) {
                if (via != null) {
                    group.blocked = true; // depthwise over concatenated channels: not followed
                    return;
                }
                // One filter per channel: the filters and biases of removed channels go with them.
                group.slices.add(new Slice(node.input(1), 0, 1, null));
                if (node.input(2) != null) {
                    group.slices.add(new Slice(node.input(2), 0, 1, null, node));
                }
                group.depthwise.add(node);
                follow(node.output(0), group, pending, seen, null);
            } else if (use.inputIndex() == 0 && PASS_THROUGH.contains(op)
                    && !(op.equals("Dropout") && dropoutMaskUsed(node))) {
                if (op.equals("BatchNormalization")) {
                    for (int i = 1; i <= 4; i++) {
                        if (!perChannelConstant(node.input(i), width)) {
                            group.blocked = true;
                            return;
                        }
                        group.slices.add(new Slice(node.input(i), 0, 1, via));
                    }
                }
                follow(node.output(0), group, pending, seen, via);
            } else if ((op.equals("Add") || op.equals("Mul") || op.equals("Sub")) && node.inputs().size() == 2) {
                Value other = node.input(1 - use.inputIndex());
                if (other.constValue() != null) {
                    int axis = channelAxisOf(other.constValue(), width, value);
                    if (axis == -2) {
                        group.blocked = true;
                        return;
                    }
                    if (axis >= 0) {
                        group.slices.add(new Slice(other, axis, 1, via));
                    }
                } else if (via == null) {
                    joinProducerOf(other, group, pending, seen);
                } else {
                    group.blocked = true; // a residual over concatenated channels: not followed
                    return;
                }
                follow(node.output(0), group, pending, seen, via);
            } else if (op.equals("Concat") && via == null && node.intAttribute("axis", 0) == 1
                    && concatWidth(node) > 0 && !seen.containsKey(node.output(0))) {
                follow(node.output(0), group, pending, seen, new ConcatInput(node, use.inputIndex()));
            } else if (op.equals("Flatten") && use.inputIndex() == 0 && node.intAttribute("axis", 1) == 1) {
                followFlattened(node.output(0), group, seen, via);
            } else if (!consume(node, use.inputIndex(), group, 1, via)) {
                group.blocked = true;
                return;
            }
        }
    }

    /**
     * A depthwise convolution over {@code channels} channels: one filter [1, k, k] per channel
     * (group = channels), weight and bias constants used only here.
     */
    private static boolean isDepthwise(Node node, int channels) {
        Value weight = node.input(1);
        Value bias = node.input(2);
        Tensor w = weight == null ? null : weight.constValue();
        return node.normalizedDomain().isEmpty() && node.intAttribute("group", 1) == channels && channels > 1
                && w != null && w.rank() >= 3 && w.dim(0) == channels && w.dim(1) == 1 && weight.uses().size() == 1
                && (bias == null || bias.constValue() != null && bias.constValue().rank() == 1
                        && bias.constValue().dim(0) == channels);
    }

    /**
     * The node's bias, made its own first when other nodes read the same constant (exporters share
     * equal biases, such as the zeros of freshly initialized layers), so slicing it changes only
     * this node.
     */
    static Value ownBias(Node node) {
        Value bias = node.input(2);
        if (bias.uses().size() > 1) {
            Graph graph = node.graph();
            Value copy = graph.addInitializer(graph.freshName(bias.name()), bias.constValue());
            node.replaceInput(2, copy);
            return copy;
        }
        return bias;
    }

    /** The other side of a residual Add: its producer must keep the same channels. */
    private static void joinProducerOf(Value other, Group group, Deque<Producer> pending, Map<Value, Boolean> seen) {
        Value cursor = other;
        while (cursor.producer() != null) {
            Node node = cursor.producer();
            Producer producer = producer(node);
            if (producer != null) {
                pending.push(producer);
                return;
            }
            if (!PASS_THROUGH.contains(node.opType()) || node.input(0) == null) {
                break;
            }
            cursor = node.input(0);
        }
        group.blocked = true;
    }

    /** A Flatten of [N, C, H, W]: its consumers see each channel as H*W consecutive features. */
    private static void followFlattened(Value flat, Group group, Map<Value, Boolean> seen, ConcatInput via) {
        int width = via == null ? group.channels : concatWidth(via.concat());
        if (flat.isGraphOutput()) {
            group.blocked = true;
            return;
        }
        group.reshaped.add(flat);
        for (Use use : flat.uses()) {
            Node node = use.node();
            Tensor w = node.input(1) == null || node.input(1).constValue() == null ? null : node.input(1).constValue();
            int features = w == null ? -1 : (int) (node.opType().equals("Gemm") && node.intAttribute("transB", 0) == 1
                    ? w.dim(w.rank() - 1) : w.dim(0));
            if (features <= 0 || features % width != 0
                    || !consume(node, use.inputIndex(), group, features / width, via)) {
                group.blocked = true;
                return;
            }
        }
    }

    /** Records the slice of a consumer's weight; false when the node cannot consume channels. */
    private static boolean consume(Node node, int inputIndex, Group group, int repeat, ConcatInput via) {
        int width = via == null ? group.channels : concatWidth(via.concat());
        if (inputIndex != 0 || !node.normalizedDomain().isEmpty()) {
            return false;
        }
        Value weight = node.input(1);
        if (weight == null || weight.constValue() == null || weight.uses().size() != 1) {
            return false;
        }
        Tensor w = weight.constValue();
        switch (node.opType()) {
            case "Conv" -> {
                if (node.intAttribute("group", 1) != 1 || repeat != 1 || w.dim(1) != width) {
                    return false;
                }
                group.slices.add(new Slice(weight, 1, 1, via));
            }
            case "Gemm" -> {
                if (node.intAttribute("transA", 0) != 0) {
                    return false;
                }
                int axis = node.intAttribute("transB", 0) == 1 ? 1 : 0;
                if (w.rank() != 2 || w.dim(axis) != (long) width * repeat) {
                    return false;
                }
                group.slices.add(new Slice(weight, axis, repeat, via));
            }
            case "MatMul" -> {
                if (w.rank() != 2 || w.dim(0) != (long) width * repeat) {
                    return false;
                }
                group.slices.add(new Slice(weight, 0, repeat, via));
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code value} is a 1-D constant of {@code channels} entries (BatchNormalization parameters). */
    private static boolean perChannelConstant(Value value, int channels) {
        return value != null && value.constValue() != null && value.constValue().rank() == 1
                && value.constValue().dim(0) == channels && value.uses().size() == 1;
    }

    /**
     * The axis of a broadcast constant that runs along the channels of {@code activation}; -1 when
     * it does not vary along them (a scalar), -2 when it cannot be sliced (shared, or misaligned).
     */
    private static int channelAxisOf(Tensor constant, int channels, Value activation) {
        long[] dims = constant.dims();
        boolean convLayout = activation.producer() != null && "Conv".equals(sourceOp(activation));
        int fromEnd = convLayout ? 3 : 1; // NCHW: C is 3rd from the end; [N, F]: last
        int axis = dims.length - fromEnd;
        if (dims.length == 0 || axis < 0 || dims[axis] == 1) {
            boolean allOnes = java.util.Arrays.stream(dims).allMatch(d -> d == 1);
            return allOnes ? -1 : -2;
        }
        return dims[axis] == channels ? axis : -2;
    }

    private static String sourceOp(Value value) {
        Value cursor = value;
        while (cursor.producer() != null) {
            Node node = cursor.producer();
            if (producer(node) != null) {
                return node.opType();
            }
            cursor = node.input(0);
            if (cursor == null) {
                break;
            }
        }
        return "";
    }

    /** The channels of each Concat input, as their producers have them now; null when one is unknown. */
    static int[] concatInputChannels(Node concat) {
        int[] counts = new int[concat.inputs().size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = channelsOf(concat.input(i));
            if (counts[i] <= 0) {
                return null;
            }
        }
        return counts;
    }

    private static int concatWidth(Node concat) {
        int[] counts = concatInputChannels(concat);
        return counts == null ? -1 : java.util.Arrays.stream(counts).sum();
    }

    /** Channels of a value traced back through channel-keeping ops to its producer; -1 when unknown. */
    private static int channelsOf(Value value) {
        Value cursor = value;
        while (cursor != null && cursor.producer() != null) {
            Node node = cursor.producer();
            Producer producer = producer(node);
            if (producer != null) {
                return channelCount(producer);
            }
            if (!PASS_THROUGH.contains(node.opType())) {
                return -1;
            }
            cursor = node.input(0);
        }
        return -1;
    }

    /** A producer's output channels as its weight has them now. */
    static int channelCount(Producer producer) {
        Tensor w = producer.weight().constValue();
        return (int) switch (producer.node().opType()) {
            case "Conv" -> w.dim(0);
            case "Gemm" -> w.dim(producer.node().intAttribute("transB", 0) == 1 ? 0 : 1);
            default -> w.dim(1);
        };
    }

    /** L1 norm of each output channel over the group's producers. */
    static double[] channelNorms(Group group) {
        double[] norms = new double[group.channels];
        for (Producer p : group.producers) {
            Tensor w = p.weight().constValue();
            float[] values = w.toFloatArray();
            boolean channelsFirst = p.node().opType().equals("Conv")
                    || p.node().opType().equals("Gemm") && p.node().intAttribute("transB", 0) == 1;
            int channels = group.channels;
            int per = values.length / channels;
            for (int i = 0; i < values.length; i++) {
                int c = channelsFirst ? i / per : i % channels;
                norms[c] += Math.abs(values[i]);
            }
        }
        return norms;
    }

    static Map<String, Object> describe(Group group, int kept) {
        Map<String, Object> layer = new LinkedHashMap<>();
        layer.put("producers", group.producers.stream().map(p -> p.node().name() != null ? p.node().name()
                : p.weight().name()).toList());
        layer.put("channels", List.of(group.channels, kept));
        return layer;
    }

    private static boolean dropoutMaskUsed(Node node) {
        return node.outputs().size() > 1 && node.output(1) != null && node.output(1).hasUses();
    }
}
