package dev.edgecompress.importer;

import java.nio.file.Path;
import java.util.List;

/**
 * A file is not a usable ONNX model (or tensor file): missing, unreadable, not protobuf,
 * inconsistent, or breaking the IR rules. The message names the file and the problem on one line.
 */
public final class ModelFormatException extends Exception {

    private final Path file;
    private final List<String> problems;

    public ModelFormatException(Path file, String problem) {
        this(file, List.of(problem), null);
    }

    public ModelFormatException(Path file, String problem, Throwable cause) {
        this(file, List.of(problem), cause);
    }

    public ModelFormatException(Path file, List<String> problems, Throwable cause) {
        super(file + ": " + summary(problems), cause);
        this.file = file;
        this.problems = List.copyOf(problems);
    }

    public Path file() {
        return file;
    }

    /** Every problem found; the message shows the first and how many more there are. */
    public List<String> problems() {
        return problems;
    }

    private static String summary(List<String> problems) {
        String first = problems.get(0);
        return problems.size() == 1 ? first : first + " (and " + (problems.size() - 1) + " more problems)";
    }
}
