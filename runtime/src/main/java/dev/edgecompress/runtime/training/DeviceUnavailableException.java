package dev.edgecompress.runtime.training;

/** Training was asked to run on a GPU that cannot be used here; the message says what is missing. */
public final class DeviceUnavailableException extends RuntimeException {

    public DeviceUnavailableException(String message) {
        super(message);
    }
}
