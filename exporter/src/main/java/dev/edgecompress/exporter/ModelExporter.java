package dev.edgecompress.exporter;

import com.google.protobuf.CodedOutputStream;
import dev.edgecompress.importer.proto.ModelProto;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.TensorData;
import dev.edgecompress.ir.Value;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Writes models to ONNX files.
 *
 * <p>Output is deterministic (the same model gives the same bytes) and atomic: the model and its
 * external data file ({@code NAME.data} beside it) are written to temporary files in the target
 * folder and renamed into place, so a reader never sees a half-written model and a failed write
 * leaves any earlier file untouched. Tensor bytes are streamed, never gathered on the heap.
 *
 * <p>Stateless and thread-safe.
 */
public final class ModelExporter {

    private ModelExporter() {
    }

    /** Writes {@code model} to {@code path} with the default options. */
    public static WrittenModel write(Model model, Path path) throws IOException {
        return write(model, path, ExportOptions.defaults());
    }

    /** Writes {@code model} to {@code path}; returns the files written and their sizes. */
    public static WrittenModel write(Model model, Path path, ExportOptions options) throws IOException {
        return write(model, path, options, file -> { });
    }

    /** A check of the written model file before it takes its final name; throwing keeps it from landing. */
    @FunctionalInterface
    public interface Check {
        void accept(Path writtenModel) throws IOException;
    }

    /**
     * Writes {@code model} to {@code path} as {@link #write(Model, Path, ExportOptions)} does, and
     * runs {@code check} on the complete temporary file (its external data already in place) before
     * renaming it: when the check throws, nothing is renamed and the temporary files are removed.
     */
    public static WrittenModel write(Model model, Path path, ExportOptions options, Check check) throws IOException {
        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        String dataName = target.getFileName() + ".data";
        Path dataTarget = dir.resolve(dataName);

        ExternalDataFile externalFile = new ExternalDataFile(dataName);
        ModelProto proto = new ProtoWriter(externalFile, externalPolicy(model, options), options.sparseStorage())
                .writeModel(model);
        long size = proto.getSerializedSize();
        if (size < 0 || size > Integer.MAX_VALUE) {
            throw new IOException(target + ": the model would be over 2 GiB in one file; write its tensors as"
                    + " external data");
        }

        Path modelTemp = AtomicFiles.temporarySibling(target);
        Path dataTemp = null;
        try {
            if (!externalFile.isEmpty()) {
                dataTemp = AtomicFiles.temporarySibling(dataTarget);
                externalFile.writeTo(dataTemp);
                pinSourcesReadFrom(dataTarget, externalFile.sources(), model);
            }
            try (FileChannel channel = FileChannel.open(modelTemp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING); OutputStream out = Channels.newOutputStream(channel)) {
                CodedOutputStream coded = CodedOutputStream.newInstance(out, 1 << 20);
                proto.writeTo(coded);
                coded.flush();
            }
            boolean dataMoved = false;
            if (dataTemp != null) {
                AtomicFiles.move(dataTemp, dataTarget);
                dataTemp = null;
                dataMoved = true;
            }
            try {
                check.accept(modelTemp);
            } catch (IOException | RuntimeException e) {
                if (dataMoved) {
                    Files.deleteIfExists(dataTarget);
                }
                throw e;
            }
            AtomicFiles.move(modelTemp, target);
            modelTemp = null;
            return externalFile.isEmpty() ? new WrittenModel(target, size, null, 0)
                    : new WrittenModel(target, size, dataTarget, Files.size(dataTarget));
        } finally {
            if (dataTemp != null) {
                Files.deleteIfExists(dataTemp);
            }
            if (modelTemp != null) {
                Files.deleteIfExists(modelTemp);
            }
        }
    }

    /**
     * The model as one serialized protobuf message, every tensor inside it (for handing a model to
     * ONNX Runtime without a file). Fails for models that do not fit in one message (2 GiB).
     */
    public static byte[] toBytes(Model model) throws IOException {
        if (tensorBytes(model) > ExportOptions.INLINE_LIMIT) {
            throw new IOException("the model is too large to serialize in memory; write it to a file");
        }
        ExternalDataFile none = new ExternalDataFile("unused");
        return new ProtoWriter(none, tensor -> false, false).writeModel(model).toByteArray();
    }

    private static Predicate<Tensor> externalPolicy(Model model, ExportOptions options) {
        long threshold = options.externalThreshold();
        return switch (options.externalData()) {
            case NEVER -> tensor -> false;
            case ALWAYS -> tensor -> tensor.byteSize() >= threshold;
            case AUTO -> {
                boolean tooBig = tensorBytes(model) > ExportOptions.INLINE_LIMIT;
                yield tensor -> tensor.storage() == Tensor.Storage.EXTERNAL
                        || tooBig && tensor.byteSize() >= threshold;
            }
        };
    }

    /** Bytes of all initializers and attribute tensors, subgraphs included. */
    static long tensorBytes(Model model) {
        long total = graphTensorBytes(model.graph());
        for (var function : model.functions()) {
            total += graphTensorBytes(function.body());
        }
        return total;
    }

    private static long graphTensorBytes(Graph graph) {
        long total = 0;
        for (Value initializer : graph.initializers()) {
            total += initializer.constValue().byteSize();
        }
        for (Node node : graph.nodes()) {
            for (var attribute : node.attributes().values()) {
                if (attribute.value() instanceof Tensor tensor) {
                    total += tensor.byteSize();
                }
            }
            for (Graph subgraph : node.subgraphs()) {
                total += graphTensorBytes(subgraph);
            }
        }
        return total;
    }

    /**
     * When the new data file replaces one this model still reads from (writing a model over
     * itself), maps those tensors first so they keep reading the old file's contents.
     */
    private static void pinSourcesReadFrom(Path dataTarget, List<TensorData> sources, Model model) throws IOException {
        if (!Files.exists(dataTarget)) {
            return;
        }
        Path real = dataTarget.toRealPath();
        Set<TensorData> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<TensorData> all = new ArrayList<>(sources);
        collectMapped(model.graph(), all);
        for (TensorData data : all) {
            if (data instanceof TensorData.MappedFile mapped && seen.add(data)
                    && Files.isSameFile(mapped.file(), real)) {
                mapped.buffer();
            }
        }
    }

    private static void collectMapped(Graph graph, List<TensorData> into) {
        for (Value initializer : graph.initializers()) {
            into.add(initializer.constValue().data());
        }
        for (Node node : graph.nodes()) {
            node.subgraphs().forEach(g -> collectMapped(g, into));
        }
    }
}
