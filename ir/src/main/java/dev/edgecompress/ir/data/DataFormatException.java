package dev.edgecompress.ir.data;

import java.nio.file.Path;

/**
 * A data file cannot be used: unreadable, not the format it claims, or not matching the model
 * (a missing input, a wrong element type or shape, labels out of range). The message names the
 * file and the problem on one line.
 */
public final class DataFormatException extends Exception {

    private final Path file;

    public DataFormatException(Path file, String problem) {
        this(file, problem, null);
    }

    public DataFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
