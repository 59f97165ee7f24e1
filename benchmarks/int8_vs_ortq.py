"""int8 by edgecompress against ONNX Runtime's own quantizer, side by side: for each model, both
quantize statically (QDQ, weights int8 per channel, activations uint8, MinMax) from the same
calibration samples (ours also with keep_faster, timed at both batch sizes, with per_channel=auto
too, and with keep_faster at each batch size alone: the model for a user who deploys at that
batch); then size, accuracy (top-1 on labelled data, else the lowest output SQNR
against float on held-out samples, computed identically for both here) and the speedup over float,
timed by Int8SpeedBenchmark with the float model and both int8 models in one ONNX Runtime process.

Usage: python3 int8_vs_ortq.py WORK CLI_JAR CLASSPATH MODEL:KIND:BATCHES...
  KIND fashion: Fashion-MNIST images, calibrated on test-models/fashion_mnist_calib_512.npz and
                judged by top-1 on test-models/fashion_mnist_test_2k.npz
  KIND image224: 1x3x224x224 images uniform in [0, 1), 32 to calibrate, 16 others to judge by SQNR
"""
import os
import subprocess
import sys

import numpy as np
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process
from side_by_side import judge, speed

work, jar, classpath = sys.argv[1:4]
specs = sys.argv[4:]
rng = np.random.default_rng(7)


class Reader(CalibrationDataReader):
    def __init__(self, batches):
        self.items = iter(batches)

    def get_next(self):
        return next(self.items, None)


def data(kind, name):
    """(calibration .npz for edgecompress, calibration batches for ONNX Runtime, judge samples, labels)."""
    if kind == "fashion":
        calib = np.load("test-models/fashion_mnist_calib_512.npz")["input"]
        test = np.load("test-models/fashion_mnist_test_2k.npz")
        path = "test-models/fashion_mnist_calib_512.npz"
        return path, [{"input": calib[i:i + 64]} for i in range(0, len(calib), 64)], test["input"], test["labels"]
    images = rng.random((48, 3, 224, 224), dtype=np.float32)
    path = f"{work}/{name}_calib.npz"
    np.savez(path, input=images[:32])
    return path, [{"input": images[i:i + 8]} for i in range(0, 32, 8)], images[32:], None


rows = []
for spec in specs:
    path, kind, batches = spec.split(":")
    name = os.path.basename(path)[:-5]
    calib_npz, calib_batches, samples, labels = data(kind, name)
    variants = {"ours": ("static", []), "ours_kf": ("static,keep_faster=1", []),
                "auto_kf": ("static,per_channel=auto,keep_faster=1", [])}
    for batch in batches.split(","):
        variants[f"kf_b{batch}"] = ("static,keep_faster=1", ["--batch", batch])
    files = {}
    for variant, (quantize, extra) in variants.items():
        files[variant] = f"{work}/{name}.{variant}.onnx"
        subprocess.run(["java", "-jar", jar, "compress", path, "-o", files[variant], "--quantize", quantize,
                        "--calib", calib_npz] + extra, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    prepared = f"{work}/{name}.prepared.onnx"
    ortq = f"{work}/{name}.ortq.onnx"
    try:
        quant_pre_process(path, prepared)
        quantize_static(prepared, ortq, Reader(calib_batches), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        files["ortq"] = ortq
        ortq_error = None
    except Exception as e:  # noqa: BLE001 - the peer's failure is a result to report
        ortq_error = str(e).splitlines()[0][:60]
    float_top1, _, reference = judge(path, samples, labels)
    scores = {v: judge(f, samples, labels, reference)[:2] for v, f in files.items()}
    timing = speed(classpath, batches, [("float", path)] + list(files.items()))
    rows.append((name, batches, os.path.getsize(path), {v: os.path.getsize(f) for v, f in files.items()},
                 float_top1, scores, timing, ortq_error))
    print(f"done {name}", file=sys.stderr)

print("| model | size KiB: float / ours / kf / auto+kf / kf@b1 / kf@bN / ORT | top-1 %: float / ours / kf / auto+kf /"
      " kf@b1 / kf@bN / ORT; SQNR dB: the same but float | speedup over float: ours / ours keep_faster /"
      " per_channel=auto with keep_faster / kf@this batch / ORT (95% interval) |")
print("|---|---|---|---|")
for name, batches, size_f, sizes, f_top1, scores, timing, error in rows:
    order = ["ours", "ours_kf", "auto_kf"] + [f"kf_b{b}" for b in batches.split(",")] + ["ortq"]
    size = f"{size_f / 1024:,.0f} / " + " / ".join(f"{sizes[v] / 1024:,.0f}" if v in sizes else "-" for v in order)
    def fmt(v, i, digits):
        value = scores.get(v, (None, None))[i]
        return "-" if value is None else f"{value:.{digits}f}"
    accuracy = ("" if f_top1 is None else f"{f_top1:.2f} / " + " / ".join(fmt(v, 0, 2) for v in order) + "; ") + \
        " / ".join(fmt(v, 1, 1) for v in order) + " dB"
    cells = []
    for batch in map(int, batches.split(",")):
        parts = []
        for v in ["ours", "ours_kf", "auto_kf", f"kf_b{batch}", "ortq"]:
            t = timing.get((v, batch))
            parts.append("-" if t is None else f"{t[0]:.2f}x ({t[1]:.2f}-{t[2]:.2f})")
        cells.append(f"b{batch}: " + " / ".join(parts))
    print(f"| {name} | {size} | {accuracy} | {'<br>'.join(cells)} |")
    if error:
        print(f"|  | ONNX Runtime's quantizer fails: {error} | | |")
