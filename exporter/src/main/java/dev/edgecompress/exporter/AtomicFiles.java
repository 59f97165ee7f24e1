package dev.edgecompress.exporter;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes files so that readers see the old file or the whole new one, never a part: the content
 * goes to a temporary file in the same folder, which is then renamed over the target.
 */
public final class AtomicFiles {

    /** Writes the content of a file. */
    @FunctionalInterface
    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    /** Writes {@code content} to {@code target} atomically; on failure the target is untouched. */
    public static void write(Path target, Content content) throws IOException {
        Path temp = temporarySibling(target);
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                content.writeTo(out);
            }
            move(temp, target);
            temp = null;
        } finally {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /**
     * A new, empty file beside {@code target}, created like any new file (the umask decides its
     * mode, unlike {@code createTempFile}'s 0600).
     */
    static Path temporarySibling(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": the output folder does not exist");
        }
        if (Files.isDirectory(absolute)) {
            throw new IOException(absolute + ": is a directory");
        }
        String unique = Long.toHexString(System.nanoTime()) + "-" + ProcessHandle.current().pid();
        return Files.createFile(dir.resolve("." + absolute.getFileName() + "." + unique + ".tmp"));
    }

    static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
