package dev.edgecompress.runtime.training;

/** A training checkpoint cannot be used: another run's, unreadable, or unwritable. The message names the directory. */
public final class CheckpointException extends RuntimeException {

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
