package dev.edgecompress.pipeline.tune;

import dev.edgecompress.exporter.UnloadableModelException;
import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.exporter.validation.GateResult;
import dev.edgecompress.exporter.validation.Validation;
import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.passes.PassException;
import dev.edgecompress.pipeline.CompressionJob;
import dev.edgecompress.pipeline.Recipe;
import dev.edgecompress.pipeline.StepParser;
import dev.edgecompress.runtime.SyntheticInputs;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One trial as it travels to where it runs (a thread here, or a Spark executor): the recipe's
 * steps, the files it reads, by path, and the gates it is judged by (all but speed, which is
 * measured where the search runs).
 *
 * @param fallback whether a quantize step that fails an accuracy gate falls back to float node by node
 */
public record TrialTask(int number, String stage, List<Map<String, Object>> steps, String model, String evaluation,
        String training, String calibration, List<Gate> gates, SyntheticInputs.Overrides inputs, boolean fallback)
        implements Serializable {

    public TrialTask {
        steps = List.copyOf(steps);
        gates = List.copyOf(gates);
    }

    /** The files it reads (the model and the data), for shipping them to where it runs. */
    public List<String> files() {
        List<String> files = new ArrayList<>(List.of(model, evaluation));
        if (training != null) {
            files.add(training);
        }
        if (calibration != null) {
            files.add(calibration);
        }
        return files;
    }

    /** This task reading each of its files where {@code located} says it is now. */
    public TrialTask withFiles(UnaryOperator<String> located) {
        return new TrialTask(number, stage, steps, located.apply(model), located.apply(evaluation),
                training == null ? null : located.apply(training),
                calibration == null ? null : located.apply(calibration), gates, inputs, fallback);
    }

    /**
     * Compresses the model by the steps into {@code out} and validates it on the evaluation data as
     * {@code compress} does; a trial whose steps cannot act on the model comes back with the reason
     * (and no file).
     */
    public Trial run(Path out) throws IOException {
        long begin = System.nanoTime();
        try {
            Recipe recipe = new Recipe(steps.stream().map(s -> StepParser.parse((String) s.get("type"),
                    without(s, "type"))).toList(), List.of());
            CompressionJob.Result result = CompressionJob.of(Path.of(model), out, recipe).gates(gates)
                    .evaluationData(Path.of(evaluation)).trainingData(path(training))
                    .calibrationData(path(calibration)).inputs(inputs).validate(true)
                    .validation(Validation::withoutLatency).fallback(fallback).run();
            ValidationReport report = result.report();
            List<Map<String, Object>> reproduced = steps;
            if (report.quantization() != null && !report.quantization().fallbackToFloat().isEmpty()) {
                reproduced = withExclude(steps, report.quantization().fallbackToFloat());
            }
            double reference = report.reference().accuracy();
            double accuracy = report.candidate().accuracy();
            return new Trial(number, stage, reproduced, report.candidate().bytes(), report.candidate().gzipBytes(),
                    accuracy, (reference - accuracy) * 100, null, seconds(begin), report.passed(),
                    failed(report.gates()), miss(report.gates()), null);
        } catch (SettingException | PassException | UnloadableModelException e) {
            Files.deleteIfExists(out);
            return new Trial(number, stage, steps, null, null, null, null, null, seconds(begin), false, List.of(),
                    null, e.getMessage());
        } catch (ModelFormatException | DataFormatException e) {
            throw new IllegalStateException(e.getMessage(), e); // checked before the search: not expected here
        }
    }

    static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    static List<String> failed(List<GateResult> results) {
        return results.stream().filter(g -> !g.passed()).map(GateResult::message).toList();
    }

    /** The worst failed gate's distance from its limit, relative to the limit. */
    static double miss(List<GateResult> results) {
        return results.stream().filter(g -> !g.passed())
                .mapToDouble(g -> Math.abs(g.value() - g.limit()) / Math.max(Math.abs(g.limit()), 1e-9)).max()
                .orElse(0);
    }

    private static Path path(String file) {
        return file == null ? null : Path.of(file);
    }

    private static List<Map<String, Object>> withExclude(List<Map<String, Object>> steps, List<String> nodes) {
        return steps.stream().map(s -> {
            if (!"quantize".equals(s.get("type"))) {
                return s;
            }
            Map<String, Object> step = new LinkedHashMap<>(s);
            step.put("exclude", new ArrayList<>(nodes));
            return (Map<String, Object>) step;
        }).toList();
    }

    private static Map<String, Object> without(Map<String, Object> map, String key) {
        Map<String, Object> copy = new LinkedHashMap<>(map);
        copy.remove(key);
        return copy;
    }
}
