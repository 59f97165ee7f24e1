package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.validation.Gate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecipeTest {

    @TempDir
    Path dir;

    private Path recipe(String json) throws Exception {
        return Files.writeString(dir.resolve("recipe.json"), json);
    }

    @Test
    void readsStepsAndGates() throws Exception {
        Recipe recipe = Recipe.read(recipe("""
                {"steps": [{"type": "prune", "method": "magnitude", "sparsity": 0.5, "layers": {"fc1.weight": 0.9},
                            "skip": ["fc3.weight"]},
                           {"type": "cleanup"}],
                 "gates": {"max_accuracy_drop": 1.0, "max_size": "300KB"}}
                """));
        assertEquals(2, recipe.steps().size());
        assertEquals("prune", recipe.steps().get(0).type());
        assertEquals(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 1.0), new Gate(Gate.Kind.MAX_SIZE, 300_000)),
                recipe.gates());
        assertEquals(List.of("prune-magnitude", "remove-identity", "fold-constants", "fold-batchnorm",
                "remove-dead-nodes"), recipe.passes().stream().map(p -> p.name()).toList());
    }

    @Test
    void aBadValueNamesTheStepAndField() throws Exception {
        Path file = recipe("{\"steps\": [{\"type\": \"cleanup\"}, {\"type\": \"prune\", \"method\": \"l1\","
                + " \"sparsity\": 1.5}]}");
        RecipeException e = assertThrows(RecipeException.class, () -> Recipe.read(file));
        assertEquals(file + ": steps[1].sparsity: must be a fraction in [0, 1), got 1.5", e.getMessage());
    }

    @Test
    void anUnknownFieldNamesTheKnownOnes() throws Exception {
        Path file = recipe("{\"steps\": [{\"type\": \"prune\", \"method\": \"l1\", \"sparsity\": 0.5, \"amount\": 3}]}");
        RecipeException e = assertThrows(RecipeException.class, () -> Recipe.read(file));
        assertTrue(e.getMessage().contains("steps[0].amount: unknown field; known: "), e.getMessage());
    }

    @Test
    void invalidJsonSaysWhere() throws Exception {
        Path file = recipe("{\"steps\": [\n  {\"type\": \"prune\",, }]}");
        RecipeException e = assertThrows(RecipeException.class, () -> Recipe.read(file));
        assertTrue(e.getMessage().contains("not valid JSON") && e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void unknownGatesAndTopLevelFieldsAreRefused() throws Exception {
        assertTrue(assertThrows(RecipeException.class, () -> Recipe.read(recipe(
                "{\"steps\": [], \"gates\": {\"max_latency\": 3}}"))).getMessage().contains("gates.max_latency"));
        assertTrue(assertThrows(RecipeException.class, () -> Recipe.read(recipe(
                "{\"steps\": [], \"data\": \"x.npz\"}"))).getMessage().contains("unknown field 'data'"));
        assertTrue(assertThrows(RecipeException.class, () -> Recipe.read(dir.resolve("none.json")))
                .getMessage().contains("no such file"));
    }
}
