package dev.edgecompress.exporter;

import dev.edgecompress.importer.proto.GraphProto;
import dev.edgecompress.importer.proto.ModelProto;
import dev.edgecompress.ir.Model;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A serialized copy of a model whose inner values are graph outputs too, so that ONNX Runtime
 * hands them back (what calibration measures). Values inside If branches are exposed through
 * {@link SubgraphOutputs}. The model itself is never changed.
 *
 * @param model the serialized copy
 * @param outputNames for each value asked for, the name of the output that carries it
 */
public record ExposedValues(byte[] model, Map<String, String> outputNames) {

    /** {@code model} serialized with {@code values} as extra outputs. */
    public static ExposedValues of(Model model, List<String> values) throws IOException {
        ModelProto.Builder proto = ModelProto.parseFrom(ModelExporter.toBytes(model)).toBuilder();
        GraphProto.Builder graph = proto.getGraphBuilder();
        Set<String> outputs = new HashSet<>();
        graph.getOutputList().forEach(o -> outputs.add(o.getName()));
        Map<String, String> exposed = new LinkedHashMap<>();
        for (String name : values) {
            String output = outputs.contains(name) ? name : SubgraphOutputs.expose(graph, name);
            if (output == null) {
                throw new IllegalArgumentException("no value '" + name + "' to calibrate outside Loop and Scan bodies");
            }
            outputs.add(output);
            exposed.put(name, output);
        }
        return new ExposedValues(proto.build().toByteArray(), Map.copyOf(exposed));
    }
}
