package dev.edgecompress.runtime;

/** Told how far long work (evaluation, latency runs) has come. */
@FunctionalInterface
public interface Progress {

    Progress NONE = (task, done, total) -> { };

    /** {@code done} of {@code total} units of {@code task} are finished. */
    void update(String task, long done, long total);
}
