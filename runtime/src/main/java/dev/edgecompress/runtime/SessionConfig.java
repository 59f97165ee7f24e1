package dev.edgecompress.runtime;

/**
 * How an ONNX Runtime session runs.
 *
 * @param intraOpThreads threads inside one operator; 0 lets ONNX Runtime choose
 * @param optimization graph optimization level
 */
public record SessionConfig(int intraOpThreads, Optimization optimization) {

    /** ONNX Runtime graph optimization levels. */
    public enum Optimization {
        NONE, BASIC, EXTENDED, ALL
    }

    public SessionConfig {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must not be negative");
        }
    }

    /** All optimizations, ONNX Runtime's choice of threads. */
    public static SessionConfig defaults() {
        return new SessionConfig(0, Optimization.ALL);
    }

    public SessionConfig withOptimization(Optimization level) {
        return new SessionConfig(intraOpThreads, level);
    }

    public SessionConfig withThreads(int threads) {
        return new SessionConfig(threads, optimization);
    }
}
