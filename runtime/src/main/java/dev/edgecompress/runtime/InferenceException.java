package dev.edgecompress.runtime;

/** ONNX Runtime could not load or run a model; the message says which and why. */
public final class InferenceException extends RuntimeException {

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }

    public InferenceException(String message) {
        super(message);
    }
}
