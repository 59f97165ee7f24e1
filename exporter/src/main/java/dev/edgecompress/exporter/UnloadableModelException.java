package dev.edgecompress.exporter;

import java.io.IOException;

/**
 * ONNX Runtime cannot load a model the pipeline produced, so it was not written. When the input
 * model does not load either, the input is at fault ({@link #inputAtFault()}); otherwise a pass
 * is, and the message names the last one that ran.
 */
public final class UnloadableModelException extends IOException {

    private final boolean inputAtFault;

    public UnloadableModelException(String message, boolean inputAtFault, Throwable cause) {
        super(message, cause);
        this.inputAtFault = inputAtFault;
    }

    public boolean inputAtFault() {
        return inputAtFault;
    }
}
