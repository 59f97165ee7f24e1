package dev.edgecompress.runtime;

/**
 * An execution provider was asked for but cannot run here: not in this ONNX Runtime build, or its
 * native libraries (CUDA, cuDNN) are missing. The message names what is missing.
 */
public final class ProviderUnavailableException extends RuntimeException {

    private final ExecutionProvider provider;

    public ProviderUnavailableException(ExecutionProvider provider, String message, Throwable cause) {
        super(message, cause);
        this.provider = provider;
    }

    public ExecutionProvider provider() {
        return provider;
    }
}
