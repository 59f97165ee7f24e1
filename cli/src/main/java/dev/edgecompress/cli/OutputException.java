package dev.edgecompress.cli;

import java.nio.file.Path;

/** An output file cannot be written (missing folder, no permission, disk full). */
final class OutputException extends Exception {

    OutputException(Path file, String problem, Throwable cause) {
        super(file + ": cannot write: " + problem, cause);
    }
}
