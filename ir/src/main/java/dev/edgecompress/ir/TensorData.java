package dev.edgecompress.ir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where a tensor's packed little-endian bytes live: in memory, or in a range of a file that is
 * memory-mapped on first access (so a multi-gigabyte model is never copied onto the heap).
 */
public sealed interface TensorData {

    /** Length of the data in bytes. */
    long byteSize();

    /**
     * A read-only little-endian view of the data, positioned at 0. Mapped data is mapped on the
     * first call; a tensor over 2 GiB cannot be viewed as one buffer (use {@link #writeTo}).
     */
    ByteBuffer buffer();

    /** Writes all the bytes to {@code channel}. */
    void writeTo(WritableByteChannel channel) throws IOException;

    static TensorData of(ByteBuffer bytes) {
        return new InMemory(bytes);
    }

    static TensorData mapped(Path file, long offset, long length) {
        return new MappedFile(file, offset, length);
    }

    /** Bytes held in a (heap or direct) buffer. */
    final class InMemory implements TensorData {
        private final ByteBuffer bytes;

        private InMemory(ByteBuffer bytes) {
            this.bytes = bytes.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public long byteSize() {
            return bytes.remaining();
        }

        @Override
        public ByteBuffer buffer() {
            return bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public void writeTo(WritableByteChannel channel) throws IOException {
            ByteBuffer view = buffer();
            while (view.hasRemaining()) {
                channel.write(view);
            }
        }
    }

    /** A byte range of a file, mapped read-only on first access. */
    final class MappedFile implements TensorData {
        private final Path file;
        private final long offset;
        private final long length;
        private ByteBuffer mapping;

        private MappedFile(Path file, long offset, long length) {
            if (offset < 0 || length < 0) {
                throw new IllegalArgumentException("negative offset or length");
            }
            this.file = file;
            this.offset = offset;
            this.length = length;
        }

        public Path file() {
            return file;
        }

        public long offset() {
            return offset;
        }

        @Override
        public long byteSize() {
            return length;
        }

        @Override
        public synchronized ByteBuffer buffer() {
            if (length > Integer.MAX_VALUE) {
                throw new IllegalStateException("tensor data of " + length + " bytes in " + file
                        + " is over 2 GiB and cannot be viewed as one buffer");
            }
            if (mapping == null) {
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                    mapping = channel.map(FileChannel.MapMode.READ_ONLY, offset, length);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot map tensor data from " + file, e);
                }
            }
            return mapping.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public void writeTo(WritableByteChannel target) throws IOException {
            try (FileChannel source = FileChannel.open(file, StandardOpenOption.READ)) {
                long done = 0;
                while (done < length) {
                    long moved = source.transferTo(offset + done, length - done, target);
                    if (moved <= 0) {
                        throw new IOException(file + " ended before " + (offset + length) + " bytes");
                    }
                    done += moved;
                }
            }
        }
    }
}
