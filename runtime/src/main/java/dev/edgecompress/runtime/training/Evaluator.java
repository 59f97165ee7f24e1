package dev.edgecompress.runtime.training;

import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.runtime.metrics.Accuracy;
import dev.edgecompress.runtime.metrics.Rows;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** Runs a training graph as it is now (fake quantization included): outputs, and top-1 accuracy. */
final class Evaluator {

    /** Samples per run while measuring accuracy. */
    private static final int EVALUATION_BATCH = 256;

    private final TrainingGraph graph;

    Evaluator(TrainingGraph graph) {
        this.graph = graph;
    }

    /** Top-1 accuracy of the first output on labelled {@code data}'s first input. */
    double accuracy(Dataset data) {
        graph.initialize();
        TrainingBatches view = new TrainingBatches(data);
        long[] labels = data.labels();
        int[] order = view.inOrder();
        Operand<TFloat32> logits = graph.logits();
        Accuracy accuracy = new Accuracy();
        for (int offset = 0; offset < order.length; offset += EVALUATION_BATCH) {
            int count = Math.min(EVALUATION_BATCH, order.length - offset);
            try (TFloat32 x = view.inputs(order, offset, count);
                    Result r = graph.session.runner().feed(graph.firstInput(), x).fetch(logits).run()) {
                float[] scores = TrainingGraph.floats((TFloat32) r.get(0));
                accuracy.add(Rows.of(Tensor.ofFloats(new long[] {count, scores.length / count}, scores), count),
                        labels, offset);
            }
        }
        return accuracy.value();
    }

    /** Every input fed from {@code feeds} (by input name); the float outputs, by name. */
    Map<String, float[]> forward(Map<String, Tensor> feeds) {
        graph.initialize();
        Session.Runner runner = graph.session.runner();
        List<org.tensorflow.Tensor> tensors = new ArrayList<>();
        try {
            for (Map.Entry<Value, Placeholder<?>> input : graph.inputs.entrySet()) {
                Tensor feed = feeds.get(input.getKey().name());
                if (feed == null) {
                    throw new IllegalArgumentException("no value for the input " + input.getKey().name());
                }
                org.tensorflow.Tensor t = input.getValue().type() == TFloat32.class ? toTf(feed)
                        : TInt64.tensorOf(Shape.of(feed.dims()), DataBuffers.of(feed.toIntegers()));
                tensors.add(t);
                runner.feed(input.getValue(), t);
            }
            List<Value> floats = graph.outputs.entrySet().stream().filter(e -> e.getValue().type() == TFloat32.class)
                    .map(Map.Entry::getKey).toList();
            if (floats.isEmpty()) {
                return Map.of();
            }
            floats.forEach(output -> runner.fetch(graph.outputs.get(output)));
            Map<String, float[]> result = new LinkedHashMap<>();
            try (Result r = runner.run()) {
                int i = 0;
                for (Value output : floats) {
                    result.put(output.name(), TrainingGraph.floats((TFloat32) r.get(i++)));
                }
            }
            return result;
        } finally {
            tensors.forEach(org.tensorflow.Tensor::close);
        }
    }

    static TFloat32 toTf(Tensor tensor) {
        return TFloat32.tensorOf(Shape.of(tensor.dims()), DataBuffers.of(tensor.toFloatArray()));
    }
}
