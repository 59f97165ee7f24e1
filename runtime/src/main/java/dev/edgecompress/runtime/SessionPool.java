package dev.edgecompress.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** ONNX Runtime sessions of one or more model files, closed together. */
public final class SessionPool implements AutoCloseable {

    private final List<List<InferenceSession>> byModel;

    private SessionPool(List<List<InferenceSession>> byModel) {
        this.byModel = byModel;
    }

    /** {@code size} sessions of {@code model} (none for size 0); a failure closes those already open. */
    public static SessionPool open(Path model, SessionConfig config, int size) {
        return open(List.of(model), config, size, 0);
    }

    /**
     * {@code size} sessions of each model, opened in turn (one of each, then again), starting with
     * model {@code first}: where a session lands can make it a few percent faster or slower for as
     * long as it lives, and sessions opened in one model's block would carry that block's luck.
     */
    public static SessionPool open(List<Path> models, SessionConfig config, int size, int first) {
        List<List<InferenceSession>> byModel = new ArrayList<>();
        models.forEach(m -> byModel.add(new ArrayList<>()));
        SessionPool pool = new SessionPool(byModel);
        try {
            for (int i = 0; i < size; i++) {
                for (int k = 0; k < models.size(); k++) {
                    int m = (first + k) % models.size();
                    byModel.get(m).add(InferenceSession.open(models.get(m), config));
                }
            }
        } catch (RuntimeException | Error e) {
            pool.close();
            throw e;
        }
        return pool;
    }

    /** The sessions of the first model. */
    public List<InferenceSession> sessions() {
        return sessions(0);
    }

    /** The sessions of model {@code index}. */
    public List<InferenceSession> sessions(int index) {
        return Collections.unmodifiableList(byModel.get(index));
    }

    @Override
    public void close() {
        byModel.forEach(sessions -> sessions.forEach(InferenceSession::close));
    }
}
