package dev.edgecompress.runtime;

/** Told how far long work (evaluation, latency runs, training) has come. */
@FunctionalInterface
public interface Progress {

    Progress NONE = (task, done, total) -> { };

    /** {@code done} of {@code total} units of {@code task} are finished. */
    void update(String task, long done, long total);

    /** A result worth a line of its own in a log, such as an epoch's loss and accuracy; ignored by default. */
    default void line(String text) {
    }
}
