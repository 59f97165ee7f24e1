package dev.edgecompress.exporter.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.runtime.Latency;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Uses only the public API, as deployment tooling would. */
class ValidationTest {

    private static final Path MLP = TestModels.model("mlp.onnx");
    private static final Path DATA = TestModels.model("fashion_mnist_test_2k.npz");
    private static final Latency.Plan QUICK = new Latency.Plan(2, 7, 0, 10);

    @TempDir
    Path dir;

    /** The mlp with its first layer's weights below {@code threshold} in magnitude set to zero. */
    private Path pruned(double threshold) throws Exception {
        Model model = ModelImporter.load(MLP);
        Value weight = model.graph().initializers().stream().filter(v -> v.name().equals("fc1.weight"))
                .findFirst().orElseThrow();
        float[] values = weight.constValue().toFloatArray();
        for (int i = 0; i < values.length; i++) {
            if (Math.abs(values[i]) < threshold) {
                values[i] = 0;
            }
        }
        weight.replaceConstValue(Tensor.ofFloats(weight.constValue().dims(), values));
        Path file = dir.resolve("pruned.onnx");
        ModelExporter.write(model, file);
        return file;
    }

    @Test
    void aModelAgainstItselfPassesEveryGate() throws Exception {
        ValidationReport report = Validation.of(MLP, TestModels.model("mlp_unfolded_op13.onnx")).data(DATA)
                .latency(QUICK).latencyBatches(List.of(1, 32))
                .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 0), new Gate(Gate.Kind.MIN_AGREEMENT, 1),
                        new Gate(Gate.Kind.MAX_SIZE_RATIO, 1.0), new Gate(Gate.Kind.MAX_SIZE, 1_100_000)))
                .run();

        assertTrue(report.passed(), report.gates().toString());
        assertEquals(0.892, report.reference().accuracy(), 1e-9);
        assertEquals(report.reference().accuracy(), report.candidate().accuracy());
        assertEquals(2000, report.metrics().samples());
        assertNull(report.metrics().sqnrDb(), "identical outputs");
        assertEquals(List.of(1, 32), report.latency().stream().map(LatencyRow::batch).toList());
        assertEquals(1067219, report.reference().bytes());
        assertTrue(report.reference().gzipBytes() < report.reference().bytes());
        assertEquals(266610, report.candidate().nonzeroParameters());
    }

    @Test
    void aDamagedModelFailsTheAccuracyGateAndTheReportSaysByHowMuch() throws Exception {
        Path candidate = pruned(0.08);
        ValidationReport report = Validation.of(MLP, candidate).data(DATA).withoutLatency()
                .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 0.1))).run();

        assertFalse(report.passed());
        GateResult gate = report.failedGates().get(0);
        assertEquals("max_accuracy_drop", gate.name());
        assertEquals((report.reference().accuracy() - report.candidate().accuracy()) * 100, gate.value(), 1e-9);
        assertTrue(gate.value() > 0.1);
        assertTrue(report.candidate().nonzeroParameters() < report.reference().nonzeroParameters());
        assertTrue(report.metrics().sqnrDb() > 0 && report.metrics().sqnrDb() < 100);
        assertTrue(report.metrics().agreement() < 1);
    }

    @Test
    void withoutLabelsAccuracyIsAgreementWithTheReference() throws Exception {
        Dataset labelled = DataFiles.load(DATA);
        Dataset unlabelled = Dataset.of(DATA, labelled.arrays(), null);
        ValidationReport report = Validation.of(MLP, pruned(0.08)).data(unlabelled).withoutLatency().run();

        assertFalse(report.metrics().labels());
        assertEquals(1.0, report.reference().accuracy());
        assertEquals(report.metrics().agreement(), report.candidate().accuracy());
    }

    @Test
    void theJsonReportHasTheFieldsOfTheContract() throws Exception {
        ValidationReport report = Validation.of(MLP, pruned(0.08)).data(DATA).latency(QUICK)
                .latencyBatches(List.of(8)).gates(List.of(new Gate(Gate.Kind.MIN_SPEEDUP, 1000))).run();
        Path file = dir.resolve("report.json");
        ReportWriter.writeJson(report, file);

        JsonNode json = new ObjectMapper().readTree(Files.readString(file));
        for (String side : List.of("reference", "candidate")) {
            for (String field : List.of("path", "bytes", "gzip_bytes", "parameters", "nonzero_parameters", "accuracy")) {
                assertTrue(json.get(side).has(field), side + "." + field);
            }
        }
        JsonNode latency = json.get("latency").get(0);
        for (String field : List.of("ep", "batch", "reference_ms_p50", "candidate_ms_p50", "speedup")) {
            assertTrue(latency.has(field), "latency." + field);
        }
        assertTrue(json.get("steps").isArray());
        JsonNode gate = json.get("gates").get(0);
        assertEquals("min_speedup[cpu,batch=8]", gate.get("name").asText());
        assertEquals(1000, gate.get("limit").asDouble());
        assertFalse(gate.get("passed").asBoolean());
        assertFalse(json.get("passed").asBoolean());
        assertEquals(report, ReportWriter.readJson(Files.readString(file)));
    }

    @Test
    void junitXmlHasOneTestCasePerGate() throws Exception {
        ValidationReport report = Validation.of(MLP, pruned(0.08)).data(DATA).withoutLatency()
                .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 0.1), new Gate(Gate.Kind.MAX_SIZE_RATIO, 2)))
                .run();
        String xml = ReportWriter.junit(report);
        assertTrue(xml.contains("tests=\"2\" failures=\"1\""), xml);
        assertTrue(xml.contains("<testcase classname=\"edgecompress.gates\" name=\"max_size_ratio\"/>"), xml);
        assertTrue(xml.contains("<failure message=\"accuracy 89.20% -&gt; "), xml);
        assertTrue(ReportWriter.markdown(report).contains("**FAIL**"));
    }

    @Test
    void gatesThatNeedDataRefuseToRunWithout() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Validation.of(MLP, MLP)
                .withoutLatency().gates(List.of(new Gate(Gate.Kind.MIN_AGREEMENT, 0.99))).run());
        assertTrue(e.getMessage().contains("--min-agreement needs data"), e.getMessage());
    }

    @Test
    void sizeLimitsParseUnits() {
        assertEquals(250_000, Gate.parse(Gate.Kind.MAX_SIZE, "250KB").limit());
        assertEquals(1.5 * 1024 * 1024, Gate.parse(Gate.Kind.MAX_SIZE, "1.5 MiB").limit());
        assertEquals(2e9, Gate.parse(Gate.Kind.MAX_SIZE, "2GB").limit());
        assertEquals(0.25, Gate.parse(Gate.Kind.MAX_SIZE_RATIO, "0.25").limit());
        assertThrows(IllegalArgumentException.class, () -> Gate.parse(Gate.Kind.MAX_SIZE, "big"));
        assertThrows(IllegalArgumentException.class, () -> Gate.parse(Gate.Kind.MIN_AGREEMENT, "1.5"));
    }
}
