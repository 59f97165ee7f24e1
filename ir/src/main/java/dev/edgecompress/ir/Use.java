package dev.edgecompress.ir;

/** One use of a value: input {@code inputIndex} of {@code node}. */
public record Use(Node node, int inputIndex) {
}
