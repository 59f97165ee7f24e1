package dev.edgecompress.cli;

import dev.edgecompress.runtime.Progress;
import java.io.PrintStream;

/**
 * Progress on stderr when it is a terminal, redrawn in place at most ten times a second; nothing
 * otherwise, so CI logs stay clean.
 */
final class TerminalProgress implements Progress {

    private final PrintStream err;
    private long lastDraw;
    private String lastTask = "";

    private TerminalProgress(PrintStream err) {
        this.err = err;
    }

    static Progress on(PrintStream err) {
        return System.console() != null && err == System.err ? new TerminalProgress(err) : Progress.NONE;
    }

    @Override
    public void update(String task, long done, long total) {
        long now = System.nanoTime();
        boolean finished = done >= total;
        if (!finished && task.equals(lastTask) && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        lastTask = task;
        err.printf("\r%s %,d/%,d%s", task, done, total, finished ? "\u001b[K\r" : "\u001b[K");
        err.flush();
    }
}
