package dev.edgecompress.exporter;

/**
 * Where tensor data goes when a model is written.
 *
 * @param externalData when tensors go to an external data file beside the model
 * @param externalThreshold tensors smaller than this many bytes always stay inside the model file
 * @param sparseStorage store mostly-zero float weights as ONNX {@code sparse_initializer}s (values
 *     plus int64 indices), where that is smaller: below 1/3 non-zeros, as each non-zero then costs
 *     12 bytes instead of 4 per element
 */
public record ExportOptions(ExternalData externalData, long externalThreshold, boolean sparseStorage) {

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

    public ExportOptions(ExternalData externalData, long externalThreshold) {
        this(externalData, externalThreshold, false);
    }

    public static ExportOptions defaults() {
        return new ExportOptions(ExternalData.AUTO, DEFAULT_THRESHOLD, false);
    }

    public ExportOptions withExternalData(ExternalData mode) {
        return new ExportOptions(mode, externalThreshold, sparseStorage);
    }

    public ExportOptions withSparseStorage(boolean sparse) {
        return new ExportOptions(externalData, externalThreshold, sparse);
    }
}
