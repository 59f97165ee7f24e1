package dev.edgecompress.exporter;

/**
 * Where tensor data goes when a model is written.
 *
 * @param externalData when tensors go to an external data file beside the model
 * @param externalThreshold tensors smaller than this many bytes always stay inside the model file
 */
public record ExportOptions(ExternalData externalData, long externalThreshold) {

    /** Tensors at least 1 KiB go external when they do. */
    public static final long DEFAULT_THRESHOLD = 1024;

    /** The protobuf limit a model file must stay under (2 GiB), with room for the graph itself. */
    static final long INLINE_LIMIT = (1L << 31) - (64L << 20);

    public enum ExternalData {
        /**
         * Keep each tensor where the source model had it (inside the file or external); if the
         * model would pass 2 GiB inside one file, every tensor over the threshold goes external.
         */
        AUTO,
        /** Every tensor over the threshold goes external. */
        ALWAYS,
        /** Everything inside the model file; models over 2 GiB fail to write. */
        NEVER
    }

    public ExportOptions {
        if (externalThreshold < 0) {
            throw new IllegalArgumentException("externalThreshold must not be negative");
        }
    }

    public static ExportOptions defaults() {
        return new ExportOptions(ExternalData.AUTO, DEFAULT_THRESHOLD);
    }

    public ExportOptions withExternalData(ExternalData mode) {
        return new ExportOptions(mode, externalThreshold);
    }
}
