package dev.edgecompress.exporter;

import java.nio.file.Path;

/**
 * The files an export wrote.
 *
 * @param model the model file
 * @param modelBytes its size
 * @param externalData the external data file, or null when every tensor is inside the model file
 * @param externalBytes the external data file's size, or 0
 */
public record WrittenModel(Path model, long modelBytes, Path externalData, long externalBytes) {

    /** Bytes on disk: model file plus external data. */
    public long totalBytes() {
        return modelBytes + externalBytes;
    }
}
