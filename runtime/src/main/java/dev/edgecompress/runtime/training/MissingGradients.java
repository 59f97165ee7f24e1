package dev.edgecompress.runtime.training;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.nn.Conv2d;
import org.tensorflow.op.nn.Conv2dBackpropFilter;
import org.tensorflow.op.nn.Conv2dBackpropInput;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVars;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVarsGradient;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVarsPerChannel;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVarsPerChannelGradient;
import org.tensorflow.types.TFloat32;

/**
 * Gradients the Java build of TensorFlow ships without, registered from Java once per process:
 * <ul>
 *   <li>fake quantization: the straight-through estimator (the upstream gradient where
 *       min <= x <= max, zero elsewhere; min and max get the sums of the gradient below and above
 *       them), computed by TensorFlow's own gradient kernels;</li>
 *   <li>Conv2DBackpropInput (ConvTranspose): the input's gradient is the convolution of the
 *       upstream gradient by the filter, the filter's is Conv2DBackpropFilter, as TensorFlow's
 *       Python gradient defines them.</li>
 * </ul>
 */
final class MissingGradients {

    private static boolean registered;

    private MissingGradients() {
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
        TensorFlow.registerCustomGradient(Conv2dBackpropInput.Inputs.class, (tf, op, upstream) -> {
            Operand<TFloat32> gradient = floats(upstream.get(0));
            @SuppressWarnings("unchecked")
            Operand<TFloat32> filter = (Operand<TFloat32>) op.filter;
            @SuppressWarnings("unchecked")
            Operand<TFloat32> input = (Operand<TFloat32>) op.outBackprop;
            List<Long> strides = java.util.Arrays.stream(op.strides).boxed().toList();
            return java.util.Arrays.asList(tf.zerosLike(op.inputSizes),
                    tf.nn.conv2dBackpropFilter(gradient, tf.shape(filter), input, strides, op.padding,
                            Conv2dBackpropFilter.dataFormat(op.dataFormat)),
                    tf.nn.conv2d(gradient, filter, strides, op.padding, Conv2d.dataFormat(op.dataFormat)));
        });
        registered = true;
    }

    @SuppressWarnings("unchecked")
    private static Output<TFloat32> floats(Output<?> gradient) {
        return (Output<TFloat32>) gradient; // the gradient of a float output is float
    }
}
