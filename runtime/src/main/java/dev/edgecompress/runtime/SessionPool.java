package dev.edgecompress.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Several ONNX Runtime sessions of one model file, closed together. */
public final class SessionPool implements AutoCloseable {

    private final List<InferenceSession> sessions;

    private SessionPool(List<InferenceSession> sessions) {
        this.sessions = sessions;
    }

    /** {@code size} sessions of {@code model} (none for size 0); a failure closes those already open. */
    public static SessionPool open(Path model, SessionConfig config, int size) {
        List<InferenceSession> sessions = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                sessions.add(InferenceSession.open(model, config));
            }
        } catch (RuntimeException | Error e) {
            sessions.forEach(InferenceSession::close);
            throw e;
        }
        return new SessionPool(sessions);
    }

    public List<InferenceSession> sessions() {
        return Collections.unmodifiableList(sessions);
    }

    @Override
    public void close() {
        sessions.forEach(InferenceSession::close);
    }
}
