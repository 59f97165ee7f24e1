package dev.edgecompress.pipeline;

import java.nio.file.Path;

/** A recipe file is not valid JSON or names a step, field or value that does not fit. */
public final class RecipeException extends Exception {

    public RecipeException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
