package dev.edgecompress.importer;

/** Raised inside the reader for a structural problem; the importer adds the file name. */
final class FormatProblem extends RuntimeException {

    FormatProblem(String message) {
        super(message);
    }
}
