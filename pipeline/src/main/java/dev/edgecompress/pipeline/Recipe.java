package dev.edgecompress.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.passes.Pass;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compression pipeline as a file: ordered steps and gates.
 *
 * <pre>{@code
 * { "steps": [ {"type": "prune", "method": "l1", "sparsity": 0.8},
 *              {"type": "cleanup"} ],
 *   "gates": {"max_accuracy_drop": 1.0, "max_size": "300KB", "min_speedup": 1.2} }
 * }</pre>
 *
 * Step types and fields are those of {@link StepParser}; gates are named as the command-line gate
 * options in snake_case. The whole recipe is checked when read, before any work, and a problem
 * names the step and field ({@code steps[0].sparsity: must be a fraction in [0, 1), got 1.5}).
 */
public record Recipe(List<Step> steps, List<Gate> gates) {

    public Recipe {
        steps = List.copyOf(steps);
        gates = List.copyOf(gates);
    }

    /** Reads and checks a recipe file. */
    public static Recipe read(Path file) throws RecipeException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new RecipeException(file, "no such file", e);
        } catch (IOException e) {
            throw new RecipeException(file, "cannot read: " + e, e);
        }
        Object root;
        try {
            root = new ObjectMapper().readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new RecipeException(file, "not valid JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        }
        if (!(root instanceof Map<?, ?> top)) {
            throw new RecipeException(file, "must be a JSON object with \"steps\" and optional \"gates\"", null);
        }
        for (Object key : top.keySet()) {
            if (!key.equals("steps") && !key.equals("gates")) {
                throw new RecipeException(file, "unknown field '" + key + "'; a recipe has steps and gates", null);
            }
        }
        List<Step> steps = new ArrayList<>();
        if (!(top.get("steps") instanceof List<?> list)) {
            throw new RecipeException(file, "steps: must be a list of steps", null);
        }
        for (int i = 0; i < list.size(); i++) {
            steps.add(step(file, i, list.get(i)));
        }
        return new Recipe(steps, gates(file, top.get("gates")));
    }

    /** Whether a step trains (fine-tuning, quantization-aware training), and so needs training data. */
    public boolean trains() {
        return steps.stream().anyMatch(s -> s.training() != null);
    }

    /** Whether a training step stops early (once held-out accuracy meets the accuracy gate). */
    public boolean stopsEarly() {
        return steps.stream().anyMatch(s -> s.training() != null && s.training().earlyStop());
    }

    /** Whether a pass of some step needs {@code need} (calibration data, a trainer). */
    public boolean needs(Pass.Need need) {
        return passes().stream().anyMatch(p -> p.needs().contains(need));
    }

    /** The first quantize step, or null when the recipe does not quantize. */
    public Step.Quantize quantizeStep() {
        return steps.stream().filter(s -> s instanceof Step.Quantize).map(s -> (Step.Quantize) s).findFirst()
                .orElse(null);
    }

    /** This recipe with {@code names} also left in float by every quantize step. */
    public Recipe withQuantizeExclude(List<String> names) {
        return new Recipe(steps.stream().map(s -> s instanceof Step.Quantize q ? q.withExclude(names) : s).toList(),
                gates);
    }

    /** The passes of every step, in order. */
    public List<Pass> passes() {
        return steps.stream().flatMap(s -> s.passes().stream()).toList();
    }

    private static Step step(Path file, int index, Object value) throws RecipeException {
        if (!(value instanceof Map<?, ?> map) || !(map.get("type") instanceof String type)) {
            throw new RecipeException(file, "steps[" + index + "]: must be an object with a \"type\"", null);
        }
        Map<String, Object> params = new LinkedHashMap<>();
        map.forEach((k, v) -> params.put(String.valueOf(k), v));
        params.remove("type");
        try {
            return StepParser.parse(type, params);
        } catch (SettingException e) {
            throw new RecipeException(file, "steps[" + index + "]." + e.getMessage(), e);
        }
    }

    private static List<Gate> gates(Path file, Object value) throws RecipeException {
        List<Gate> gates = new ArrayList<>();
        if (value == null) {
            return gates;
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new RecipeException(file, "gates: must be an object such as {\"max_accuracy_drop\": 1.0}", null);
        }
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            Gate.Kind kind = null;
            for (Gate.Kind k : Gate.Kind.values()) {
                if (k.reportName().equals(entry.getKey())) {
                    kind = k;
                }
            }
            if (kind == null) {
                throw new RecipeException(file, "gates." + entry.getKey() + ": unknown gate; known: max_accuracy_drop,"
                        + " min_agreement, max_size, max_size_ratio, min_speedup, min_sqnr, min_cosine", null);
            }
            try {
                gates.add(Gate.parse(kind, String.valueOf(entry.getValue())));
            } catch (IllegalArgumentException e) {
                throw new RecipeException(file, "gates." + entry.getKey() + ": " + e.getMessage(), e);
            }
        }
        return gates;
    }
}
