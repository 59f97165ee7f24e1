package dev.edgecompress.passes;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
import java.util.Map;

/**
 * Runs a model on a fixed set of probe inputs, so that a pass can check that a rewrite which must
 * not change results (an operator set upgrade, say) did not. Implemented with ONNX Runtime outside
 * this module; passes only see this interface.
 */
public interface ModelRunner {

    /**
     * The outputs of {@code model} (unchanged) on the probe inputs, by name.
     *
     * @throws RuntimeException when the model cannot run; the message says why
     */
    Map<String, Tensor> run(Model model);

    /** What the probe inputs are, for messages ("8 samples of calib.npz"). */
    String describeInputs();
}
