package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.ir.testing.TestModels;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clustered weights keep a trained model's accuracy and leave gzip far less to store. */
class ClusteringOnRuntimeTest {

    @TempDir
    Path dir;

    @Test
    void sixteenSharedValuesPerLayerKeepTheMlpWithinAFifthOfAPoint() throws Exception {
        Compressor compressor = Compressor.load(TestModels.model("mlp.onnx")).step(StepParser.parse("cluster",
                Map.of("clusters", 16)));
        compressor.export(dir.resolve("clustered.onnx"));
        ValidationReport report = compressor.validation().data(TestModels.model("fashion_mnist_test_2k.npz"))
                .withoutLatency().run();

        double drop = (report.reference().accuracy() - report.candidate().accuracy()) * 100;
        assertTrue(drop <= 0.25, "top-1 drop " + drop + " points");
        double gzip = (double) report.candidate().gzipBytes() / report.reference().gzipBytes();
        assertTrue(gzip < 0.2, "gzip ratio " + gzip);
    }
}
