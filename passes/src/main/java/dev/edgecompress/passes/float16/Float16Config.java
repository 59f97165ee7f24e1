package dev.edgecompress.passes.float16;

import java.util.Set;
import java.util.TreeSet;

/**
 * Configuration of float16 conversion.
 *
 * @param keepIo whether the graph's inputs and outputs stay float32 (so callers feed and read
 *     float32 as before); Casts at the edges do the conversion
 * @param halfCompute whether operators compute in float16; when off, only the weights are stored in
 *     float16, each widened by a Cast that ONNX Runtime folds once when it loads the model, for
 *     execution providers without fast float16 kernels (ONNX Runtime's CPU on x86)
 * @param exclude node names or op types kept in float32, besides {@link Float16ConversionPass#BLOCKED}
 */
public record Float16Config(boolean keepIo, boolean halfCompute, Set<String> exclude) {

    public Float16Config {
        exclude = new TreeSet<>(exclude);
    }

    /** float16 computation, float32 inputs and outputs, nothing excluded beyond the default block list. */
    public static Float16Config defaults() {
        return new Float16Config(true, true, Set.of());
    }

    boolean excludes(String nodeName, String opType) {
        return nodeName != null && exclude.contains(nodeName) || exclude.contains(opType);
    }
}
