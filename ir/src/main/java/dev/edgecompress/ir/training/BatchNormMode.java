package dev.edgecompress.ir.training;

import java.util.Locale;

/** What BatchNormalization does while training. */
public enum BatchNormMode {
    /** Normalizes by each batch's statistics and updates its running ones (as PyTorch's {@code train()}). */
    TRAIN,
    /** Keeps its running statistics. */
    FROZEN;

    /** The mode named (train, frozen). */
    public static BatchNormMode parse(String name) {
        return Settings.parse(BatchNormMode.class, "batch_norm", name);
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
