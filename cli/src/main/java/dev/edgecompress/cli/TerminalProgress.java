package dev.edgecompress.cli;

import dev.edgecompress.runtime.Progress;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress on stderr when it is a terminal, redrawn in place at most ten times a second, with the
 * time elapsed and the time left at the pace so far; nothing otherwise, so CI logs stay clean.
 * A task that stays finished (timing past its planned rounds) is not redrawn.
 */
final class TerminalProgress implements Progress {

    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream err;
    private String task = "";
    private long started;
    private long lastDraw;
    private long lastDone = -1;

    TerminalProgress(PrintStream err) {
        this.err = err;
    }

    static Progress on(PrintStream err) {
        return isTerminal(err) ? new TerminalProgress(err) : Progress.NONE;
    }

    static boolean isTerminal(PrintStream err) {
        return System.console() != null && err == System.err;
    }

    /** Clears a progress line being drawn, so a log line starts at the left edge. */
    static void clearLine(PrintStream err) {
        if (isTerminal(err)) {
            err.print("\r\u001b[K");
        }
    }

    @Override
    public void update(String current, long done, long total) {
        long now = System.nanoTime();
        if (!current.equals(task)) {
            task = current;
            started = now;
            lastDone = -1;
            lastDraw = 0;
        }
        boolean finished = done >= total;
        boolean stillFinished = finished && lastDone >= total;
        if (done == lastDone || stillFinished || !finished && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        lastDone = done;
        if (finished) {
            err.print("\r\u001b[K");
        } else {
            double elapsed = (now - started) / 1e9;
            String left = done > 0 ? ", " + duration(elapsed * (total - done) / done) + " left" : "";
            err.printf(Locale.ROOT, "\r%s %,d/%,d (%s elapsed%s)\u001b[K", task, done, total, duration(elapsed), left);
        }
        err.flush();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s < 60 ? s + " s" : s < 3600 ? (s / 60) + " min " + (s % 60) + " s" : (s / 3600) + " h " + (s % 3600 / 60)
                + " min";
    }
}
