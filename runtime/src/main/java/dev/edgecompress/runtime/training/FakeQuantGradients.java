package dev.edgecompress.runtime.training;

import java.util.List;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVars;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVarsGradient;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVarsPerChannel;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVarsPerChannelGradient;
import org.tensorflow.types.TFloat32;

/**
 * Gradients for TensorFlow's fake-quantization ops, which the Java build ships without: the
 * straight-through estimator (the upstream gradient where min <= x <= max, zero elsewhere; min and
 * max get the sums of the gradient below and above them), computed by TensorFlow's own gradient
 * kernels. Registration is process-wide and happens once.
 */
final class FakeQuantGradients {

    private static boolean registered;

    private FakeQuantGradients() {
    }

    static synchronized void register() {
        if (registered) {
            return;
        }
        TensorFlow.registerCustomGradient(FakeQuantWithMinMaxVars.Inputs.class, (tf, op, upstream) -> {
            FakeQuantWithMinMaxVarsGradient g = tf.quantization.fakeQuantWithMinMaxVarsGradient(
                    floats(upstream.get(0)), op.inputs, op.min, op.max,
                    FakeQuantWithMinMaxVarsGradient.numBits(op.numBits),
                    FakeQuantWithMinMaxVarsGradient.narrowRange(op.narrowRange));
            return List.of(g.backpropsWrtInput(), g.backpropWrtMin(), g.backpropWrtMax());
        });
        TensorFlow.registerCustomGradient(FakeQuantWithMinMaxVarsPerChannel.Inputs.class, (tf, op, upstream) -> {
            FakeQuantWithMinMaxVarsPerChannelGradient g = tf.quantization.fakeQuantWithMinMaxVarsPerChannelGradient(
                    floats(upstream.get(0)), op.inputs, op.min, op.max,
                    FakeQuantWithMinMaxVarsPerChannelGradient.numBits(op.numBits),
                    FakeQuantWithMinMaxVarsPerChannelGradient.narrowRange(op.narrowRange));
            return List.of(g.backpropsWrtInput(), g.backpropWrtMin(), g.backpropWrtMax());
        });
        registered = true;
    }

    @SuppressWarnings("unchecked")
    private static Output<TFloat32> floats(Output<?> gradient) {
        return (Output<TFloat32>) gradient; // the gradient of a float output is float
    }
}
