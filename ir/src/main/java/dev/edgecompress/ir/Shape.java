package dev.edgecompress.ir;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** A tensor shape of known rank whose dimensions may be symbolic or unknown. */
public record Shape(List<Dim> dims) {

    public Shape {
        dims = List.copyOf(dims);
    }

    public static Shape of(long... sizes) {
        return new Shape(Arrays.stream(sizes).mapToObj(Dim::of).toList());
    }

    public static Shape of(Dim... dims) {
        return new Shape(List.of(dims));
    }

    public int rank() {
        return dims.size();
    }

    public Dim dim(int axis) {
        return dims.get(axis);
    }

    /** Whether every dimension has a known size. */
    public boolean isStatic() {
        return dims.stream().allMatch(Dim::isKnown);
    }

    /** The sizes of a static shape. */
    public long[] sizes() {
        if (!isStatic()) {
            throw new IllegalStateException("shape " + this + " is not static");
        }
        return dims.stream().mapToLong(Dim::value).toArray();
    }

    @Override
    public String toString() {
        return dims.stream().map(Dim::toString).collect(Collectors.joining(",", "[", "]"));
    }
}
