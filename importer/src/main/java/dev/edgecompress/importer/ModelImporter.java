package dev.edgecompress.importer;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.edgecompress.importer.proto.ModelProto;
import dev.edgecompress.importer.proto.TensorProto;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Verifier;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Reads ONNX files into the IR.
 *
 * <p>The file is memory-mapped and parsed with aliasing, so tensor bytes are views of the mapping,
 * not heap copies; external data is mapped lazily, tensor by tensor. The returned model therefore
 * reads its files while in use: keep them in place. Every problem, from a missing file to a model
 * that breaks the IR rules, is a {@link ModelFormatException} naming the file.
 *
 * <p>Stateless and thread-safe.
 */
public final class ModelImporter {

    private ModelImporter() {
    }

    /** Reads and verifies the model at {@code path}, with its external data. */
    public static Model load(Path path) throws ModelFormatException {
        ModelProto proto = parseFile(path, ModelImporter::parseModel);
        Path baseDir = path.toAbsolutePath().getParent();
        Model model;
        try {
            model = new ProtoReader(new TensorReader(baseDir)).readModel(proto);
        } catch (FormatProblem e) {
            throw new ModelFormatException(path, e.getMessage());
        }
        List<String> problems = Verifier.verify(model);
        if (!problems.isEmpty()) {
            throw new ModelFormatException(path, problems, null);
        }
        return model;
    }

    /**
     * Reads one serialized {@code TensorProto}, as in the {@code input_N.pb} and
     * {@code output_N.pb} files of ONNX test data folders. External data is relative to its folder.
     */
    public static Tensor loadTensor(Path path) throws ModelFormatException {
        TensorProto proto = parseFile(path, TensorProto::parseFrom);
        try {
            return new TensorReader(path.toAbsolutePath().getParent()).read(proto, "the tensor");
        } catch (FormatProblem e) {
            throw new ModelFormatException(path, e.getMessage());
        }
    }

    private static ModelProto parseModel(CodedInputStream input) throws IOException {
        return ModelProto.parseFrom(input);
    }

    private interface Parser<T> {
        T parse(CodedInputStream input) throws IOException;
    }

    private static <T> T parseFile(Path path, Parser<T> parser) throws ModelFormatException {
        if (!Files.exists(path)) {
            throw new ModelFormatException(path, "no such file");
        }
        if (Files.isDirectory(path)) {
            throw new ModelFormatException(path, "is a directory, not an ONNX file");
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size == 0) {
                throw new ModelFormatException(path, "the file is empty");
            }
            if (size > Integer.MAX_VALUE) {
                throw new ModelFormatException(path, "the file is " + size + " bytes; a protobuf message cannot"
                        + " exceed 2 GiB, so models this large must keep their tensors in external data files");
            }
            ByteBuffer mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            CodedInputStream input = UnsafeByteOperations.unsafeWrap(mapped).newCodedInput();
            input.enableAliasing(true);
            input.setSizeLimit(Integer.MAX_VALUE);
            return parser.parse(input);
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException(path, "not a valid ONNX protobuf file (truncated or corrupt): "
                    + e.getMessage(), e);
        } catch (AccessDeniedException e) {
            throw new ModelFormatException(path, "permission denied", e);
        } catch (IOException e) {
            throw new ModelFormatException(path, "cannot read: " + e, e);
        }
    }
}
