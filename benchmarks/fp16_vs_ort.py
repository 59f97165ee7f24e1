"""float16 by edgecompress (compute fp16, and compute fp32: float16 storage only) against ONNX
Runtime's float16 converter (onnxruntime.transformers.float16, keep_io_types=True), on the same
models: size against float, top-1 on the 2,000 bundled test images, the ops that stayed float32,
and the speedup over float on ONNX Runtime's CPU at batch 1 and 64, each file validated against
float by `edgecompress validate` (timed side by side, spinning off).

Usage: python3 fp16_vs_ort.py WORK CLI_JAR MODEL.onnx...
"""
import json
import os
import subprocess
import sys

import onnx
from onnxruntime.transformers.float16 import convert_float_to_float16

work, jar = sys.argv[1:3]
models = sys.argv[3:]
data = "test-models/fashion_mnist_test_2k.npz"


def validate(reference, candidate, report):
    subprocess.run(["java", "-jar", jar, "validate", "--reference", reference, "--candidate", candidate,
                    "--data", data, "--batch", "1,64", "--report", report],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.load(open(report))


print("| model | file | size vs float | top-1 %: float -> candidate | float32 ops left (ours) | speedup b1 | b64 |")
print("|---|---|---|---|---|---|---|")
for path in models:
    name = os.path.basename(path)[:-5]
    files = {}
    details = {}
    for variant, option in [("ours", "fp16"), ("ours_fp32_compute", "fp16,compute=fp32")]:
        out = f"{work}/{name}.{variant}.onnx"
        report = f"{work}/{name}.{variant}.compress.json"
        subprocess.run(["java", "-jar", jar, "compress", path, "-o", out, "--quantize", option, "--time", "0",
                        "--runs", "1", "--report", report], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        steps = json.load(open(report))["steps"]
        details[variant] = next(s for s in steps if s["pass"] == "quantize-fp16")["changed"].get("float32_ops", {})
        files[variant] = out
    ort16 = f"{work}/{name}.ort_fp16.onnx"
    onnx.save(convert_float_to_float16(onnx.load(path), keep_io_types=True), ort16)
    files["ort_converter"] = ort16
    for variant, file in files.items():
        r = validate(path, file, f"{work}/{name}.{variant}.validate.json")
        lat = {row["batch"]: row for row in r["latency"]}
        left = ", ".join(f"{op} x{n}" for op, n in details.get(variant, {}).items()) or ("-" if variant in details
                                                                                      else "n/a")
        print(f"| {name} | {variant} | {r['candidate']['bytes'] / r['reference']['bytes']:.3f} | "
              f"{r['reference']['accuracy'] * 100:.2f} -> {r['candidate']['accuracy'] * 100:.2f} | {left} | "
              + " | ".join(f"{lat[b]['speedup']:.2f}x ({lat[b]['speedup_low']:.2f}-{lat[b]['speedup_high']:.2f})"
                           for b in (1, 64)) + " |")
