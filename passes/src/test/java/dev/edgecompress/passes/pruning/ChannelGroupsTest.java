package dev.edgecompress.passes.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.Verifier;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChannelGroupsTest {

    /**
     * x -> 1x1 Conv (16 channels) -> depthwise Conv -> y, and x -> another 1x1 Conv -> z: both
     * convolutions after the first add the same bias constant, as exporters share equal biases.
     * Both outputs are graph outputs, so no group can shrink.
     */
    private static Model sharedBiasBlockedModel() {
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT, 1, 8, 4, 4);
        Value bias = b.initializer("b16", Tensor.ofFloats(new long[] {16}, new float[16]));
        Value expand = b.op("Conv", x, b.initializer("expand_w", Tensor.ofFloats(new long[] {16, 8, 1, 1},
                new float[128])));
        b.output(b.op("Conv", List.of(Attribute.of("group", 16L), Attribute.of("pads", 1L, 1L, 1L, 1L)), expand,
                b.initializer("dw_w", Tensor.ofFloats(new long[] {16, 1, 3, 3}, new float[144])), bias));
        b.output(b.op("Conv", x, b.initializer("other_w", Tensor.ofFloats(new long[] {16, 8, 1, 1}, new float[128])),
                bias));
        return b.build();
    }

    @Test
    void findingGroupsChangesNothingEvenWhereABiasWouldHaveToBeUnshared() {
        Model model = sharedBiasBlockedModel();
        Value bias = model.graph().initializers().stream().filter(v -> v.name().equals("b16")).findFirst()
                .orElseThrow();
        Node depthwise = bias.uses().get(0).node();

        assertEquals(List.of(), ChannelGroups.find(model.graph(), Set.of()));

        assertEquals(4, model.graph().initializers().size(), "no copy of the shared bias was made");
        assertEquals(2, bias.uses().size());
        assertSame(bias, depthwise.input(2));
        assertEquals(List.of(), Verifier.verify(model));
    }
}
