package dev.edgecompress.runtime;

import java.io.Serializable;
import java.util.Objects;

/**
 * How an ONNX Runtime session runs.
 *
 * @param provider the execution provider
 * @param intraOpThreads threads inside one operator; 0 lets ONNX Runtime choose
 * @param optimization graph optimization level
 * @param spinning whether ONNX Runtime's intra-op threads spin after a run waiting for the next;
 *     fastest for one session alone, but sessions timed in turn take each other's cores
 */
public record SessionConfig(ExecutionProvider provider, int intraOpThreads, Optimization optimization,
        boolean spinning) implements Serializable {

    /**
     * The system property that, set to true, lets ONNX Runtime's own warnings through (by default
     * only its errors show: its notes on unused initializers and the like are not for users).
     */
    public static final String VERBOSE_PROPERTY = "edgecompress.verbose";

    /** ONNX Runtime graph optimization levels. */
    public enum Optimization {
        NONE, BASIC, EXTENDED, ALL
    }

    public SessionConfig {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(optimization, "optimization");
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must not be negative");
        }
    }

    /** CPU, all optimizations, ONNX Runtime's choice of threads. */
    public static SessionConfig defaults() {
        return new SessionConfig(ExecutionProvider.CPU, 0, Optimization.ALL, true);
    }

    public SessionConfig withProvider(ExecutionProvider ep) {
        return new SessionConfig(ep, intraOpThreads, optimization, spinning);
    }

    public SessionConfig withOptimization(Optimization level) {
        return new SessionConfig(provider, intraOpThreads, level, spinning);
    }

    public SessionConfig withThreads(int threads) {
        return new SessionConfig(provider, threads, optimization, spinning);
    }

    /** This config with spinning off: for sessions timed side by side, which must not starve each other. */
    public SessionConfig withoutSpinning() {
        return new SessionConfig(provider, intraOpThreads, optimization, false);
    }
}
