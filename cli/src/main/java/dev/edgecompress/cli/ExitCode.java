package dev.edgecompress.cli;

/** Process exit codes, as DESIGN.md fixes them for scripts and CI. */
public enum ExitCode {
    /** Success; every gate passed. */
    OK(0),
    /** A gate failed; outputs are still written and the report says which gate and by how much. */
    GATE_FAILED(1),
    /** Bad usage or bad input: one line on stderr names the file or option and the problem. */
    BAD_INPUT(2),
    /** A failure inside edgecompress. */
    INTERNAL_ERROR(3);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
