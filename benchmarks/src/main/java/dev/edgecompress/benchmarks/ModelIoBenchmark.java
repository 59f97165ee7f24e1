package dev.edgecompress.benchmarks;

import dev.edgecompress.exporter.ExportOptions;
import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.exporter.WrittenModel;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Dim;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Shape;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.TensorData;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.ValueType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;

/**
 * Import and export of large models, measured in one process run.
 *
 * <pre>
 * generate MB OUT.onnx   a stack of 4096 x 4096 float MatMul weights of about MB megabytes; models
 *                        over 2 GiB get their tensors as external data (OUT.onnx.data)
 * roundtrip IN OUT       import IN, export to OUT; prints one JSON line of timings and memory
 * </pre>
 *
 * Peak heap is the sum of the peak usage of every heap memory pool during the measured work (an
 * upper bound, since the pools peak at different moments); peak RSS is the process's VmHWM.
 */
public final class ModelIoBenchmark {

    private static final int SIDE = 4096;

    private ModelIoBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        switch (args.length > 0 ? args[0] : "") {
            case "generate" -> generate(Long.parseLong(args[1]), Path.of(args[2]));
            case "roundtrip" -> roundTrip(Path.of(args[1]), Path.of(args[2]));
            default -> {
                System.err.println("usage: ModelIoBenchmark generate MB OUT.onnx | roundtrip IN.onnx OUT.onnx");
                System.exit(2);
            }
        }
    }

    /**
     * Writes random weights to a scratch file first and builds the model over memory-mapped views
     * of it, so that even a multi-gigabyte model is generated in a small heap.
     */
    private static void generate(long megabytes, Path out) throws IOException {
        long layerBytes = 4L * SIDE * SIDE;
        int layers = (int) Math.max(1, Math.round(megabytes * 1e6 / layerBytes));
        Path scratch = Files.createTempFile(out.toAbsolutePath().getParent(), "weights", ".bin");
        try {
            writeRandom(scratch, layers * layerBytes);
            ModelBuilder b = ModelBuilder.onnx(17);
            Shape activations = new Shape(List.of(Dim.symbolic("batch"), Dim.of(SIDE)));
            Value x = b.input("x", DataType.FLOAT, activations);
            for (int i = 0; i < layers; i++) {
                Tensor weight = Tensor.of(DataType.FLOAT, new long[] {SIDE, SIDE},
                        TensorData.mapped(scratch, i * layerBytes, layerBytes));
                x = b.op("Relu", b.op("MatMul", x, b.initializer("w" + i, weight)));
            }
            b.output(x, new ValueType.TensorType(DataType.FLOAT, activations));
            Model model = b.build();
            WrittenModel written = ModelExporter.write(model, out, ExportOptions.defaults());
            System.out.printf("{\"layers\": %d, \"model_bytes\": %d, \"external_bytes\": %d}%n", layers,
                    written.modelBytes(), written.externalBytes());
        } finally {
            Files.deleteIfExists(scratch);
        }
    }

    private static void writeRandom(Path file, long bytes) throws IOException {
        Random random = new Random(1);
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (long done = 0; done < bytes; ) {
                chunk.clear();
                while (chunk.remaining() >= 4) {
                    chunk.putFloat((float) random.nextGaussian() * 0.02f);
                }
                chunk.flip();
                chunk.limit((int) Math.min(chunk.limit(), bytes - done));
                done += channel.write(chunk);
            }
        }
    }

    private static void roundTrip(Path in, Path out) throws Exception {
        PeakHeap.reset();
        long start = System.nanoTime();
        Model model = ModelImporter.load(in);
        long imported = System.nanoTime();
        WrittenModel written = ModelExporter.write(model, out);
        long exported = System.nanoTime();
        long peakHeap = PeakHeap.bytes();
        long inputBytes = Files.size(in) + (Files.exists(Path.of(in + ".data")) ? Files.size(Path.of(in + ".data")) : 0);
        System.out.printf("{\"tool\": \"edgecompress\", \"import_s\": %.3f, \"export_s\": %.3f, \"total_s\": %.3f,"
                        + " \"model_bytes\": %d, \"peak_heap_bytes\": %d, \"peak_rss_bytes\": %d, \"written_bytes\": %d}%n",
                (imported - start) / 1e9, (exported - imported) / 1e9, (exported - start) / 1e9, inputBytes, peakHeap,
                peakRss(), written.totalBytes());
    }

    private static long peakRss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }
}
