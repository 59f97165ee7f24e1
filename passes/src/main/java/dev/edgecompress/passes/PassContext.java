package dev.edgecompress.passes;

import java.util.function.BiConsumer;

/** What a pass may use besides the model: a place to report progress. */
public final class PassContext {

    private final BiConsumer<String, Double> progress;

    private PassContext(BiConsumer<String, Double> progress) {
        this.progress = progress;
    }

    public static PassContext quiet() {
        return new PassContext((task, fraction) -> { });
    }

    /** A context that reports progress as (task, fraction done in [0, 1]). */
    public static PassContext reportingTo(BiConsumer<String, Double> listener) {
        return new PassContext(listener);
    }

    public void progress(String task, double fraction) {
        progress.accept(task, fraction);
    }
}
