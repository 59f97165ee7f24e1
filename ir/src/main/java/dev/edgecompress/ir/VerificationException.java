package dev.edgecompress.ir;

import java.util.List;

/** A model breaks rules of the ONNX IR; {@link #problems()} lists every violation. */
public final class VerificationException extends RuntimeException {

    private final List<String> problems;

    public VerificationException(List<String> problems) {
        super(summary(problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }

    private static String summary(List<String> problems) {
        String first = problems.get(0);
        return problems.size() == 1 ? first : first + " (and " + (problems.size() - 1) + " more problems)";
    }
}
