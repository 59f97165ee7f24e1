"""What a weight's scale and zero point per column cost ONNX Runtime's integer Gemm kernels at batch
1: one uint8 x int8 product (784 x 300, the MLP's first layer) built directly as com.microsoft.QGemm
and as QLinearMatMul, with the weight's scale and zero point per tensor or per column, and for
QLinearMatMul (whose schema allows it) a scale per column with one zero point. Each model runs in
its own single-threaded session, the five interleaved for 30 rounds of 2,000 runs; prints the
median microseconds a run.

Usage: python3 qgemm_zero_points.py
"""
import time

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

M, K, N = 1, 784, 300
ROUNDS, RUNS = 30, 2000
rng = np.random.default_rng(0)
weight = rng.integers(-127, 128, (N, K), dtype=np.int8)
column_scales = rng.random(N).astype(np.float32) * 0.01 + 0.001


def model(op, scale_per_column, zero_point_per_column):
    initializers = [numpy_helper.from_array(np.array(0.01, np.float32), "a_scale"),
                    numpy_helper.from_array(np.array(128, np.uint8), "a_zero"),
                    numpy_helper.from_array(np.array(0.05, np.float32), "y_scale"),
                    numpy_helper.from_array(np.array(0, np.uint8), "y_zero"),
                    numpy_helper.from_array(column_scales if scale_per_column else np.array(0.01, np.float32),
                                            "b_scale"),
                    numpy_helper.from_array(np.zeros(N, np.int8) if zero_point_per_column else np.array(0, np.int8),
                                            "b_zero")]
    if op == "QGemm":
        initializers += [numpy_helper.from_array(weight, "b"),
                         numpy_helper.from_array(rng.integers(-1000, 1000, N).astype(np.int32), "bias")]
        node = helper.make_node("QGemm", ["x", "a_scale", "a_zero", "b", "b_scale", "b_zero", "bias", "y_scale",
                                          "y_zero"], ["y"], domain="com.microsoft", transB=1)
        opsets = [helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)]
    else:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(weight.T), "b"))
        node = helper.make_node("QLinearMatMul", ["x", "a_scale", "a_zero", "b", "b_scale", "b_zero", "y_scale",
                                                  "y_zero"], ["y"])
        opsets = [helper.make_opsetid("", 13)]
    graph = helper.make_graph([node], op, [helper.make_tensor_value_info("x", TensorProto.UINT8, [M, K])],
                              [helper.make_tensor_value_info("y", TensorProto.UINT8, [M, N])], initializers)
    built = helper.make_model(graph, opset_imports=opsets)
    built.ir_version = 8
    return built.SerializeToString()


variants = {
    "QGemm, scale and zero point per column": ("QGemm", True, True),
    "QGemm, per tensor": ("QGemm", False, False),
    "QLinearMatMul, scale and zero point per column": ("QLinearMatMul", True, True),
    "QLinearMatMul, scale per column, one zero point": ("QLinearMatMul", True, False),
    "QLinearMatMul, per tensor": ("QLinearMatMul", False, False),
}
options = ort.SessionOptions()
options.intra_op_num_threads = 1
sessions = {name: ort.InferenceSession(model(*spec), options, providers=["CPUExecutionProvider"])
            for name, spec in variants.items()}
feeds = {"x": rng.integers(0, 256, (M, K), dtype=np.uint8)}
times = {name: [] for name in sessions}
for _ in range(ROUNDS):
    for name, session in sessions.items():
        start = time.perf_counter()
        for _ in range(RUNS):
            session.run(None, feeds)
        times[name].append((time.perf_counter() - start) / RUNS * 1e6)
for name, values in times.items():
    print(f"{name:50s} {np.median(values):6.2f} us a run")
