package dev.edgecompress.exporter;

import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Lays out tensors in the external data file of a model being written: offsets are assigned as
 * tensors are placed (page-aligned for tensors of a page or more, so they can be mapped), and the
 * bytes are streamed into the file afterwards.
 */
final class ExternalDataFile {

    private static final int PAGE = 4096;

    private final String location;
    private final List<TensorData> placed = new ArrayList<>();
    private final List<Long> offsets = new ArrayList<>();
    private long end;

    ExternalDataFile(String location) {
        this.location = location;
    }

    String location() {
        return location;
    }

    /** Reserves room for {@code tensor} and returns its offset. */
    long place(Tensor tensor) {
        long size = tensor.byteSize();
        long offset = size >= PAGE ? (end + PAGE - 1) / PAGE * PAGE : end;
        placed.add(tensor.data());
        offsets.add(offset);
        end = offset + size;
        return offset;
    }

    boolean isEmpty() {
        return placed.isEmpty();
    }

    List<TensorData> sources() {
        return placed;
    }

    void writeTo(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            long position = 0;
            for (int i = 0; i < placed.size(); i++) {
                long offset = offsets.get(i);
                if (offset > position) {
                    channel.write(ByteBuffer.allocate((int) (offset - position)));
                }
                placed.get(i).writeTo(channel);
                position = offset + placed.get(i).byteSize();
            }
        }
    }
}
