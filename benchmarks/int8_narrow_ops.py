"""Where ONNX Runtime's int8 kernels lose to its float ones: one convolution or Gemm (followed by
Relu), float against QDQ int8 (uint8 activations, int8 weights per channel), kernel time of the op
alone from ONNX Runtime's profiler (QuantizeLinear, DequantizeLinear and layout Transposes left out),
median over the runs, spinning off, for a range of products summed per output value (input channels
a group times the kernel's area, or a Gemm's inner dimension). keep_faster tries first the nodes
under 64 (KeepFaster.NARROW_DEPTH) for what this prints.

Usage: python3 int8_narrow_ops.py
"""
import collections
import json
import os

import numpy as np
import onnxruntime as ort
from onnx import TensorProto
from onnx import helper
from onnx import numpy_helper

RUNS = 200
SHAPES = [  # (op, input channels or features, output channels or features, kernel, image side, stride)
    ("Conv", 1, 16, 3, 28, 2), ("Conv", 3, 32, 3, 224, 2), ("Conv", 4, 16, 3, 56, 1), ("Conv", 8, 32, 3, 56, 1),
    ("Conv", 16, 32, 3, 56, 1), ("Conv", 3, 64, 7, 224, 2), ("Gemm", 16, 256, 0, 0, 0), ("Gemm", 32, 256, 0, 0, 0),
    ("Gemm", 64, 256, 0, 0, 0), ("Gemm", 784, 256, 0, 0, 0),
]


def model(op, cin, cout, kernel, stride, int8):
    rng = np.random.default_rng(0)
    shape = (cout, cin, kernel, kernel) if op == "Conv" else (cout, cin)
    w = (rng.standard_normal(shape) * 0.1).astype(np.float32)
    attrs = dict(pads=[kernel // 2] * 4, strides=[stride, stride]) if op == "Conv" else dict(transB=1)
    x_dims = ["n", cin, "h", "w"] if op == "Conv" else ["n", cin]
    if int8:
        scale = np.abs(w).reshape(cout, -1).max(axis=1) / 127
        inits = [numpy_helper.from_array(np.round(w / scale.reshape((-1,) + (1,) * (w.ndim - 1))).astype(np.int8), "wq"),
                 numpy_helper.from_array(scale.astype(np.float32), "ws"),
                 numpy_helper.from_array(np.zeros(cout, np.int8), "wz"),
                 numpy_helper.from_array(np.array(1 / 255, np.float32), "xs"),
                 numpy_helper.from_array(np.array(0, np.uint8), "xz"),
                 numpy_helper.from_array(np.array(0.05, np.float32), "ys"),
                 numpy_helper.from_array(np.array(0, np.uint8), "yz")]
        nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
                 helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
                 helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["w"], axis=0),
                 helper.make_node(op, ["xd", "w"], ["c"], **attrs), helper.make_node("Relu", ["c"], ["r"]),
                 helper.make_node("QuantizeLinear", ["r", "ys", "yz"], ["rq"]),
                 helper.make_node("DequantizeLinear", ["rq", "ys", "yz"], ["y"])]
    else:
        inits = [numpy_helper.from_array(w, "w")]
        nodes = [helper.make_node(op, ["x", "w"], ["c"], **attrs), helper.make_node("Relu", ["c"], ["y"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_dims)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8).SerializeToString()


def kernel_micros(model_bytes, x, op_types):
    options = ort.SessionOptions()
    options.enable_profiling = True
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    for _ in range(RUNS):
        session.run(None, {"x": x})
    trace = session.end_profiling()
    per_run = collections.defaultdict(float)
    run = -1
    with open(trace) as f:
        for event in json.load(f):
            if event.get("name") == "model_run":
                run += 1
            elif event.get("cat") == "Node" and event["name"].endswith("_kernel_time") \
                    and event["args"]["op_name"] in op_types:
                per_run[run] += event["dur"]
    os.remove(trace)
    return float(np.median([per_run[r] for r in sorted(per_run)[RUNS // 10:]]))


print(f"onnxruntime {ort.__version__}, kernel time of the op alone (median of {RUNS} runs, first tenth left out)")
print("| op | products an output | shape | batch | float us | int8 us | int8 / float |")
print("|---|---|---|---|---|---|---|")
for op, cin, cout, kernel, side, stride in SHAPES:
    depth = cin * kernel * kernel if op == "Conv" else cin
    shape = f"{cin}->{cout}, {kernel}x{kernel} stride {stride} on {side}x{side}" if op == "Conv" else f"{cin}->{cout}"
    for batch in (1, 8 if side >= 224 else 64):
        x_shape = (batch, cin, side, side) if op == "Conv" else (batch, cin)
        x = np.random.default_rng(1).random(x_shape).astype(np.float32)
        timings = [kernel_micros(model(op, cin, cout, kernel, stride, False), x, {op, "FusedConv", "FusedGemm"}),
                   kernel_micros(model(op, cin, cout, kernel, stride, True), x, {"QLinearConv", "QGemm"})]
        print(f"| {op} | {depth} | {shape} | {batch} | {timings[0]:.1f} | {timings[1]:.1f} |"
              f" {timings[1] / timings[0]:.2f} |")
