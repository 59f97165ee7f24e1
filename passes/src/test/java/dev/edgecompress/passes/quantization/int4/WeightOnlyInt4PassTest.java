package dev.edgecompress.passes.quantization.int4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.Verifier;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WeightOnlyInt4PassTest {

    /** x [b, 40] -> MatMul [40, 24] -> Relu -> Gemm(transB, alpha 0.5, beta 2) [10, 24] + bias -> Conv-free y. */
    static Model model(long opset) {
        ModelBuilder b = ModelBuilder.onnx(opset);
        Value x = b.input("x", DataType.FLOAT, 3, 40);
        Value hidden = b.op("Relu", b.op("MatMul", x, b.initializer("w1",
                Tensor.ofFloats(new long[] {40, 24}, BlockQuantizerTest.gaussian(40 * 24, 1)))));
        b.output(b.op("Gemm", List.of(Attribute.of("transB", 1L), Attribute.of("alpha", 0.5f),
                Attribute.of("beta", 2f)), hidden,
                b.initializer("w2", Tensor.ofFloats(new long[] {10, 24}, BlockQuantizerTest.gaussian(240, 2))),
                b.initializer("b2", Tensor.ofFloats(new long[] {10}, BlockQuantizerTest.gaussian(10, 3)))));
        return b.build();
    }

    private static List<Node> ops(Model model, String opType) {
        return model.graph().nodes().stream().filter(n -> n.opType().equals(opType)).toList();
    }

    @Test
    void matMulAndGemmBecomeMatMulNBits() {
        Model model = model(17);
        PassResult result = new WeightOnlyInt4Pass(Int4Config.defaults()).run(model, PassContext.quiet());
        Verifier.check(model);

        List<Node> nbits = ops(model, "MatMulNBits");
        assertEquals(2, nbits.size());
        assertTrue(ops(model, "MatMul").isEmpty() && ops(model, "Gemm").isEmpty());
        Node first = nbits.get(0);
        assertEquals("com.microsoft", first.domain());
        assertEquals(40, first.attribute("K").asInt());
        assertEquals(24, first.attribute("N").asInt());
        assertEquals(4, first.attribute("bits").asInt());
        assertEquals(32, first.attribute("block_size").asInt());
        assertArrayEquals(new long[] {24, 2, 16}, first.input(1).constValue().dims(), "[N, blocks, block / 2]");
        assertArrayEquals(new long[] {48}, first.input(2).constValue().dims(), "[N * blocks]");
        assertEquals(3, first.inputs().size(), "symmetric: no zero points, no bias");
        Node gemm = nbits.get(1);
        assertEquals(24, gemm.attribute("K").asInt());
        assertEquals(10, gemm.attribute("N").asInt());
        float[] bias = gemm.input(5).constValue().toFloatArray();
        assertArrayEquals(times(BlockQuantizerTest.gaussian(10, 3), 2f), bias, 1e-6f, "beta folded into the bias");
        assertEquals(model.graph().outputs().get(0), gemm.output(0), "the output keeps its place");
        @SuppressWarnings("unchecked")
        Map<String, Long> bytes = (Map<String, Long>) result.details().get("weight_bytes");
        assertEquals(4L * (960 + 240), bytes.get("before"));
        assertTrue((double) result.details().get("weight_sqnr_db") > 15, result.details().toString());
    }

    @Test
    void theGemmWeightIsTransposedAndScaledByAlphaBeforeQuantizing() {
        Model model = model(17);
        float[] w2 = model.graph().initializers().get(1).constValue().toFloatArray(); // [10, 24]
        new WeightOnlyInt4Pass(new Int4Config(16, Int4Config.Method.HQQ, Int4Config.Format.MATMULNBITS, 0,
                Set.of("MatMul"))).run(model, PassContext.quiet());
        Node gemm = ops(model, "MatMulNBits").get(0);
        float[] decoded = decode(gemm); // [K = 24, N = 10]
        for (int k = 0; k < 24; k++) {
            for (int n = 0; n < 10; n++) {
                float expected = 0.5f * w2[n * 24 + k];
                assertEquals(expected, decoded[k * 10 + n], 0.25, "(" + k + ", " + n + ")");
            }
        }
        assertEquals(6, gemm.inputs().size(), "hqq writes zero points");
    }

    @Test
    void theStandardFormNeedsOperatorSet21() {
        SettingException e = assertThrows(SettingException.class, () -> new WeightOnlyInt4Pass(new Int4Config(32,
                Int4Config.Method.RTN, Int4Config.Format.QDQ, 0, Set.of())).run(model(17), PassContext.quiet()));
        assertEquals("format", e.field());

        Model model = model(21);
        new WeightOnlyInt4Pass(new Int4Config(32, Int4Config.Method.RTN, Int4Config.Format.QDQ, 0, Set.of()))
                .run(model, PassContext.quiet());
        Verifier.check(model);
        Node dequantize = ops(model, "DequantizeLinear").get(0);
        assertEquals(DataType.INT4, dequantize.input(0).constValue().type());
        assertEquals(32, dequantize.attribute("block_size").asInt());
        assertArrayEquals(new long[] {2, 24}, dequantize.input(1).constValue().dims(), "[blocks, N]");
        assertEquals(1, ops(model, "Add").size(), "the Gemm's bias");
    }

    @Test
    void convolutionsAndComputedWeightsStayFloatWithTheReason() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 1, 4, 4);
        Value y = b.input("y", DataType.FLOAT, 4, 4);
        Value conv = b.op("Conv", x, b.initializer("k", Tensor.ofFloats(new long[] {1, 1, 1, 1}, 2f)));
        b.output(conv).output(b.op("MatMul", y, y));
        Model model = b.build();
        PassResult result = new WeightOnlyInt4Pass(Int4Config.defaults()).run(model, PassContext.quiet());

        assertFalse(result.changed());
        String warning = result.warnings().get(0);
        assertTrue(warning.contains("1 Conv (4-bit weight-only covers MatMul and Gemm"), warning);
        assertTrue(warning.contains("1 MatMul (no constant 2-D float weight)"), warning);
    }

    @Test
    void settingsAreChecked() {
        assertEquals("block", assertThrows(SettingException.class, () -> new Int4Config(48, Int4Config.Method.RTN,
                Int4Config.Format.MATMULNBITS, 0, Set.of())).field());
        assertEquals("method", assertThrows(SettingException.class, () -> Int4Config.Method.parse("awq")).field());
    }

    /** The weights a MatMulNBits node stands for, [K, N] row-major, read back from its inputs. */
    static float[] decode(Node nbits) {
        int k = (int) nbits.attribute("K").asInt();
        int n = (int) nbits.attribute("N").asInt();
        int size = (int) nbits.attribute("block_size").asInt();
        int blocks = (k + size - 1) / size;
        byte[] packed = bytes(nbits.input(1).constValue());
        float[] scales = nbits.input(2).constValue().toFloatArray();
        byte[] zeros = nbits.inputs().size() > 3 && nbits.input(3) != null ? bytes(nbits.input(3).constValue()) : null;
        float[] w = new float[k * n];
        for (int column = 0; column < n; column++) {
            for (int row = 0; row < k; row++) {
                int index = column * blocks * size + row;
                int code = (packed[index / 2] >> (index % 2 == 0 ? 0 : 4)) & 0xf;
                int block = row / size;
                int zero = zeros == null ? 8
                        : (zeros[column * ((blocks + 1) / 2) + block / 2] >> (block % 2 == 0 ? 0 : 4)) & 0xf;
                w[row * n + column] = (code - zero) * scales[column * blocks + block];
            }
        }
        return w;
    }

    private static byte[] bytes(Tensor tensor) {
        byte[] out = new byte[(int) tensor.byteSize()];
        tensor.buffer().duplicate().get(out);
        return out;
    }

    private static float[] times(float[] values, float factor) {
        float[] out = values.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= factor;
        }
        return out;
    }
}
