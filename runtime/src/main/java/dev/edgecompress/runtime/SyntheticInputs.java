package dev.edgecompress.runtime;

import dev.edgecompress.ir.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Inputs made up from a model's input specs, for timing a model without data: floats uniform in
 * [0, 1), everything else zero. The first dimension, when dynamic, is the batch size; other dynamic
 * dimensions cannot be guessed.
 */
public final class SyntheticInputs {

    private SyntheticInputs() {
    }

    public static Map<String, Tensor> of(List<TensorSpec> inputs, int batch, long seed) {
        Random random = new Random(seed);
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        for (TensorSpec input : inputs) {
            long[] dims = input.shape();
            for (int axis = 0; axis < dims.length; axis++) {
                if (dims[axis] < 0) {
                    if (axis > 0) {
                        throw new InferenceException("input '" + input.name() + "' has a dynamic dimension at axis "
                                + axis + " " + Arrays.toString(dims).replace("-1", "?")
                                + "; give data to time it with real inputs");
                    }
                    dims[axis] = batch;
                }
            }
            long count = Arrays.stream(dims).reduce(1, Math::multiplyExact);
            ByteBuffer data = ByteBuffer.allocateDirect((int) input.type().byteSize(count)).order(ByteOrder.LITTLE_ENDIAN);
            if (input.type() == dev.edgecompress.ir.DataType.FLOAT) {
                while (data.hasRemaining()) {
                    data.putFloat(random.nextFloat());
                }
            }
            feeds.put(input.name(), Tensor.of(input.type(), dims, data.flip()));
        }
        return feeds;
    }
}
