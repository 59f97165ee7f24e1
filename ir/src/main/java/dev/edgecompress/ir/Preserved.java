package dev.edgecompress.ir;

import java.util.Arrays;

/**
 * The fields of one element of the source file that this IR does not interpret (doc strings,
 * metadata, training information, fields of newer ONNX versions), kept verbatim in their wire
 * form so that writing the model back loses nothing. Passes never look inside.
 */
public final class Preserved {

    public static final Preserved NONE = new Preserved(new byte[0]);

    private final byte[] bytes;

    private Preserved(byte[] bytes) {
        this.bytes = bytes;
    }

    public static Preserved of(byte[] bytes) {
        return bytes.length == 0 ? NONE : new Preserved(bytes.clone());
    }

    public boolean isEmpty() {
        return bytes.length == 0;
    }

    /** A copy of the preserved wire bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    public int size() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Preserved p && Arrays.equals(bytes, p.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }
}
