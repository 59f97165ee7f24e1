"""4-bit weight-only quantization by edgecompress against ONNX Runtime's own MatMulNBits quantizer,
side by side on the same model: size, output SQNR against float on held-out random inputs (or
top-1 on labelled data), computed identically for every file here, and the speedup over float at
batch 1 and 16 from one Int8SpeedBenchmark process (all files timed in turn, spinning off).

Usage: python3 int4_vs_ortq.py WORK CLI_JAR CLASSPATH MODEL...
  MODEL "stack": built here, six MatMul layers 4096 x 4096 (weights normal, std 1/64), input [batch, 4096];
         128 normal samples calibrate GPTQ, 16 others judge by SQNR
  MODEL a bundled Fashion-MNIST model (test-models/NAME.onnx): calibrated on the 512 bundled
         training images, judged by top-1 (and output SQNR) on the 2,000 bundled test images
Ours: rtn, hqq, gptq, and rtn with accuracy_level=4 (int8 activations inside the kernel).
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import matmul_nbits_quantizer as nbits
from side_by_side import judge, speed

work, jar, classpath = sys.argv[1:4]
models = sys.argv[4:]
rng = np.random.default_rng(11)
WIDTH, LAYERS = 4096, 6


def stack():
    path = f"{work}/matmul_stack_{LAYERS}x{WIDTH}.onnx"
    nodes, inits, prev = [], [], "input"
    for i in range(LAYERS):
        w = (rng.standard_normal((WIDTH, WIDTH), dtype=np.float32) / np.sqrt(WIDTH)).astype(np.float32)
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        out = "output" if i == LAYERS - 1 else f"h{i}"
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [out], name=f"matmul{i}"))
        prev = out
    graph = helper.make_graph(nodes, "stack", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                             ["batch", WIDTH])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", WIDTH])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what ONNX Runtime 1.29 (the Java side) reads
    onnx.save(model, path)
    samples = rng.standard_normal((144, WIDTH), dtype=np.float32)
    np.savez(f"{work}/stack_calib.npz", input=samples[:128])
    return path, f"{work}/stack_calib.npz", samples[128:], None


def fashion(name):
    test = np.load("test-models/fashion_mnist_test_2k.npz")
    return f"test-models/{name}.onnx", "test-models/fashion_mnist_calib_512.npz", test["input"], test["labels"]


def ortq(path, name, config):
    out = f"{work}/{name}.ortq_{config}.onnx"
    algo = {"rtn": lambda: nbits.DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=True),
            "hqq": lambda: nbits.HQQWeightOnlyQuantConfig(block_size=32)}[config]()
    try:
        quantizer = nbits.MatMulNBitsQuantizer(onnx.load(path), block_size=32, is_symmetric=True, algo_config=algo)
        quantizer.process()
        quantizer.model.save_model_to_file(out, use_external_data_format=False)
        return out, None
    except Exception as e:  # noqa: BLE001 - the peer's failure is a result to report
        return None, str(e).splitlines()[0][:80]


for model in models:
    path, calib, samples, labels = stack() if model == "stack" else fashion(model)
    name = os.path.basename(path)[:-5]
    files = [("float", path)]
    failures = {}
    for label, option in [("rtn", "method=rtn"), ("hqq", "method=hqq"), ("gptq", "method=gptq"),
                          ("rtn_level4", "method=rtn,accuracy_level=4")]:
        out = f"{work}/{name}.int4_{label}.onnx"
        subprocess.run(["java", "-Xmx12g", "-jar", jar, "compress", path, "-o", out, "--quantize",
                        f"int4,{option}", "--calib", calib, "--time", "0", "--runs", "3"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        files.append((f"ours_{label}", out))
    for config in ["rtn", "hqq"]:
        out, error = ortq(path, name, config)
        if out:
            files.append((f"ort_{config}", out))
        else:
            failures[f"ort_{config}"] = error
    failures["ort_gptq"] = "needs Intel Neural Compressor (neural_compressor), not in the wheel store"
    top1, _, reference = judge(path, samples, labels)
    scores = {label: judge(f, samples, labels, reference)[:2] for label, f in files[1:]}
    timing = speed(classpath, "1,16", files, heap="8g")
    print(f"\n{name} (float {os.path.getsize(path) / 2**20:,.1f} MiB" + ("" if top1 is None else f", top-1 {top1:.2f}%")
          + ")\n")
    print("| file | size vs float | " + ("top-1 % (SQNR dB)" if labels is not None else "SQNR dB")
          + " | speedup batch 1 (95% interval) | batch 16 |")
    print("|---|---|---|---|---|")
    for label, f in files[1:]:
        t1, t16 = timing.get((label, 1)), timing.get((label, 16))
        top, sqnr = scores[label]
        score = f"{top:.2f} ({sqnr:.1f})" if labels is not None else f"{sqnr:.2f}"
        print(f"| {label} | {os.path.getsize(f) / os.path.getsize(path):.3f} | {score} | "
              f"{t1[0]:.2f}x ({t1[1]:.2f}-{t1[2]:.2f}) | {t16[0]:.2f}x ({t16[1]:.2f}-{t16[2]:.2f}) |")
    for label, error in failures.items():
        print(f"| {label} | fails: {error} | | | |")
