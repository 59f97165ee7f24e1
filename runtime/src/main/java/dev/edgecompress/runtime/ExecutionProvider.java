package dev.edgecompress.runtime;

import java.util.Locale;

/** ONNX Runtime execution providers edgecompress runs models on. */
public enum ExecutionProvider {
    CPU,
    /** NVIDIA GPUs; needs the onnxruntime_gpu build (Maven profile {@code gpu}), CUDA 12 and cuDNN 9. */
    CUDA;

    /** The lower-case name used on the command line and in reports. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses "cpu" or "cuda". */
    public static ExecutionProvider parse(String text) {
        for (ExecutionProvider ep : values()) {
            if (ep.id().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return ep;
            }
        }
        throw new IllegalArgumentException("unknown execution provider '" + text + "' (cpu or cuda)");
    }
}
