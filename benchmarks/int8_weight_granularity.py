"""int8 weights per channel against per tensor, ours and ONNX Runtime's quantizer side by side: each
bundled Fashion-MNIST model quantized statically five ways from the 512 bundled calibration images
(`--quantize static`, `static,per_channel=0` and `static,per_channel=auto`, which takes Gemm and
MatMul weights per tensor where the outputs keep their SQNR; `quantize_static` with per_channel True and False,
QDQ, uint8 activations, MinMax), judged by top-1 and SQNR against float on the 2,000 bundled test
images, and timed against float at batch 1 and 64 in one Int8SpeedBenchmark process. ONNX Runtime's
QGemm takes a per-channel weight with a zero point per column, a slower MLAS path than one zero
point for the whole matrix; this measures what that costs and what per-tensor weights give up.

Usage: python3 int8_weight_granularity.py WORK CLI_JAR CLASSPATH MODEL...
"""
import os
import subprocess
import sys

import numpy as np
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process
from side_by_side import judge, speed

work, jar, classpath = sys.argv[1:4]
calib_path = "test-models/fashion_mnist_calib_512.npz"
calib = np.load(calib_path)["input"]
test = np.load("test-models/fashion_mnist_test_2k.npz")


class Reader(CalibrationDataReader):
    def __init__(self):
        self.items = iter([{"input": calib[i:i + 64]} for i in range(0, len(calib), 64)])

    def get_next(self):
        return next(self.items, None)


variants = ["ours channel", "ours tensor", "ours auto", "ORT channel", "ORT tensor"]


def label(variant):
    return variant.replace(" ", "_")


print("| model | top-1 %: float / " + " / ".join(variants) + " | SQNR dB: " + " / ".join(variants)
      + " | speedup over float, batch 1 | batch 64 |")
print("|---|---|---|---|---|")
for path in sys.argv[4:]:
    name = os.path.basename(path)[:-5]
    files = {}
    for variant, quantize in [("ours channel", "static"), ("ours tensor", "static,per_channel=0"),
                              ("ours auto", "static,per_channel=auto")]:
        files[variant] = f"{work}/{name}.{label(variant)}.onnx"
        subprocess.run(["java", "-jar", jar, "compress", path, "-o", files[variant], "--quantize", quantize,
                        "--calib", calib_path], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    prepared = f"{work}/{name}.prepared.onnx"
    quant_pre_process(path, prepared)
    for variant, per_channel in [("ORT channel", True), ("ORT tensor", False)]:
        files[variant] = f"{work}/{name}.{label(variant)}.onnx"
        quantize_static(prepared, files[variant], Reader(), quant_format=QuantFormat.QDQ, per_channel=per_channel,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    float_top1, _, reference = judge(path, test["input"], test["labels"])
    scores = {v: judge(f, test["input"], test["labels"], reference)[:2] for v, f in files.items()}
    timing = speed(classpath, "1,64", [("float", path)] + [(label(v), f) for v, f in files.items()])
    cells = [" / ".join(f"{timing[(label(v), b)][0]:.2f}x" for v in variants) for b in (1, 64)]
    print(f"| {name} | {float_top1:.2f} / " + " / ".join(f"{scores[v][0]:.2f}" for v in variants) + " | "
          + " / ".join(f"{scores[v][1]:.1f}" for v in variants) + f" | {cells[0]} | {cells[1]} |")
