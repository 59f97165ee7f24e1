package dev.edgecompress.passes;

import java.util.List;

/**
 * A pass failed, or left a model that breaks the IR rules. The message names the pass and the
 * passes that ran before it; the cause is kept.
 */
public final class PassException extends RuntimeException {

    private final String pass;

    public PassException(String pass, List<String> before, String problem, Throwable cause) {
        super("pass " + pass + (before.isEmpty() ? "" : " (after " + String.join(", ", before) + ")") + " failed: "
                + problem, cause);
        this.pass = pass;
    }

    public String pass() {
        return pass;
    }
}
