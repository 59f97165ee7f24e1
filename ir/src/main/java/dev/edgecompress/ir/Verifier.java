package dev.edgecompress.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the rules of the ONNX IR specification that a model's structure must follow, and reports
 * every violation at once:
 * <ul>
 *   <li>every value has a name, defined once (static single assignment) across a graph and the
 *       subgraphs nested in it, where an inner name must not shadow an outer one;</li>
 *   <li>every value a node uses is defined before it: a graph input, an initializer, an output of
 *       an earlier node, or a value of an enclosing graph (so nodes are in topological order and
 *       there are no cycles);</li>
 *   <li>every graph output is defined;</li>
 *   <li>every node's domain has a declared operator set, imported once.</li>
 * </ul>
 */
public final class Verifier {

    private final List<String> problems = new ArrayList<>();

    private Verifier() {
    }

    /** All violations in {@code model}, empty when it follows the rules. */
    public static List<String> verify(Model model) {
        Verifier verifier = new Verifier();
        verifier.checkModel(model);
        return List.copyOf(verifier.problems);
    }

    /** Throws {@link VerificationException} listing every violation, if there is any. */
    public static void check(Model model) {
        List<String> found = verify(model);
        if (!found.isEmpty()) {
            throw new VerificationException(found);
        }
    }

    private void checkModel(Model model) {
        if (model.irVersion() == null) {
            problems.add("the model has no ir_version");
        }
        Set<String> domains = checkOpsets(model.opsets(), "the model");
        if (model.opsets().isEmpty()) {
            problems.add("the model imports no operator set");
        }
        for (Function function : model.functions()) {
            Set<String> functionDomains = checkOpsets(function.opsets(), function.toString());
            if (function.opsets().isEmpty()) {
                functionDomains = domains;
            }
            checkGraph(function.body(), identitySet(), new HashSet<>(), functionDomains, function.toString());
        }
        checkGraph(model.graph(), identitySet(), new HashSet<>(), domains, graphLabel(model.graph()));
    }

    private Set<String> checkOpsets(List<OpsetImport> opsets, String where) {
        Set<String> seen = new HashSet<>();
        for (OpsetImport opset : opsets) {
            if (!seen.add(opset.normalizedDomain())) {
                problems.add(where + " imports operator set domain '" + opset.normalizedDomain() + "' twice");
            }
        }
        return seen;
    }

    private void checkGraph(Graph graph, Set<Value> outerAvailable, Set<String> outerNames,
            Set<String> domains, String where) {
        Set<Value> available = identitySet();
        available.addAll(outerAvailable);
        Set<String> names = new HashSet<>(outerNames);
        Map<String, String> definedHere = new HashMap<>();

        for (Value input : graph.inputs()) {
            define(input, "graph input", names, definedHere, where);
            available.add(input);
        }
        for (Value initializer : concat(graph.initializers(), graph.sparseInitializers())) {
            if (!available.contains(initializer)) {
                define(initializer, "initializer", names, definedHere, where);
                available.add(initializer);
            }
        }
        for (Node node : graph.nodes()) {
            if (node.graph() != graph) {
                problems.add(where + ": " + node.describe() + " is listed in the graph but not attached to it");
            }
            if (!domains.contains(node.normalizedDomain())) {
                problems.add(where + ": " + node.describe() + " uses domain '" + node.normalizedDomain()
                        + "', which the model does not import");
            }
            for (int i = 0; i < node.inputs().size(); i++) {
                Value input = node.input(i);
                if (input != null && !available.contains(input)) {
                    problems.add(where + ": " + node.describe() + " uses " + undefinedReason(input, graph));
                }
                if (input != null && !input.uses().contains(new Use(node, i))) {
                    problems.add(where + ": " + node.describe() + " reads '" + input.name() + "' as input " + i
                            + ", which does not list that use");
                }
            }
            for (Graph subgraph : node.subgraphs()) {
                checkGraph(subgraph, available, names, domains,
                        where + " > " + node.describe() + " > " + graphLabel(subgraph));
            }
            for (Value output : node.outputs()) {
                if (output != null) {
                    define(output, "output of " + node.describe(), names, definedHere, where);
                    available.add(output);
                }
            }
        }
        for (Value value : concat(concat(graph.inputs(), graph.initializers()), graph.sparseInitializers())) {
            checkUses(value, where);
        }
        for (Node node : graph.nodes()) {
            node.outputs().stream().filter(v -> v != null).forEach(v -> checkUses(v, where));
        }
        for (Value output : graph.outputs()) {
            if (!available.contains(output)) {
                problems.add(where + ": graph output '" + output.name() + "' is not defined in the graph");
            }
        }
    }

    /** Every use a value lists is a node in a graph that reads it at that input. */
    private void checkUses(Value value, String where) {
        for (Use use : value.uses()) {
            Node node = use.node();
            if (node.graph() == null || node.input(use.inputIndex()) != value) {
                problems.add(where + ": '" + value.name() + "' lists a use by " + node.describe() + " at input "
                        + use.inputIndex() + (node.graph() == null ? ", which is in no graph" : ", which reads "
                        + (node.input(use.inputIndex()) == null ? "nothing" : "'" + node.input(use.inputIndex()).name()
                        + "'") + " there"));
            }
        }
    }

    private String undefinedReason(Value input, Graph graph) {
        Node producer = input.producer();
        if (producer != null && producer.graph() == graph) {
            return "'" + input.name() + "' before " + producer.describe()
                    + " produces it (the nodes are not in topological order, or form a cycle)";
        }
        return "undefined value '" + input.name() + "'";
    }

    private void define(Value value, String what, Set<String> names, Map<String, String> definedHere, String where) {
        String name = value.name();
        if (name == null || name.isEmpty()) {
            problems.add(where + ": a " + what + " has no name");
            return;
        }
        if (!names.add(name)) {
            String earlier = definedHere.get(name);
            problems.add(where + ": value name '" + name + "' is defined twice ("
                    + (earlier != null ? earlier : "in an enclosing graph") + ", and " + what + ")");
            return;
        }
        definedHere.put(name, what);
    }

    private static String graphLabel(Graph graph) {
        return graph.name() == null || graph.name().isEmpty() ? "graph" : "graph '" + graph.name() + "'";
    }

    private static List<Value> concat(List<Value> a, List<Value> b) {
        List<Value> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static Set<Value> identitySet() {
        return Collections.newSetFromMap(new IdentityHashMap<>());
    }
}
