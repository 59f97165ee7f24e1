"""The real-model corpus benchmark (run by run-real-models.sh): for each model and pass family, what the
pass reached, how similar the outputs stay, size and speed, and for int8 the same for ONNX Runtime's
own Python quantizer on the same calibration data.

Usage: python3 real_models.py WORK CLI_JAR MODEL...   (MODEL: path:input_shape, e.g. m.onnx:1x3x48x192)

Similarity (the lowest SQNR of the outputs, in dB, over 8 probe inputs: text-like pages for the OCR
models, noise-like audio for Silero, uniform images for torchvision) is computed here with ONNX
Runtime's Python API, identically for both tools; speed comes from `edgecompress validate`, which
times the float model and the candidate side by side, alternating, in one process. int8 runs under
a 20 dB SQNR gate (accuracy-aware fallback on).
"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

work, jar, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
rng = np.random.default_rng(0)
SILERO = {"sr": np.array(16000, dtype=np.int64)}


def text_images(n, shape):
    """Dark text-like strokes on a light, slightly noisy page, normalized as PaddleOCR does: a probe
    the OCR models answer with real signal (uniform noise makes the detector's map all but zero)."""
    _, channels, h, w = shape
    out = np.empty((n, channels, h, w), np.float32)
    for k in range(n):
        page = np.full((h, w), 0.92, np.float32) + rng.normal(0, 0.02, (h, w)).astype(np.float32)
        lines = max(1, h // 24)
        for line in range(lines):
            y0, height = int((line + 0.25) * h / lines), max(4, int(h / lines * 0.5))
            x = int(rng.integers(0, w // 8))
            while x < w - 6:
                width = int(rng.integers(3, 9))
                if rng.random() >= 0.15:
                    top = y0 + int(rng.integers(-2, 3))
                    page[top:top + height, x:x + width - 1] = rng.uniform(0.0, 0.25)
                x += width + int(rng.integers(0, 3))
        out[k] = (page[None] - 0.5) / 0.5
    return out


def feeds_for(path, shape, n):
    """n feeds: text-like pages for the OCR models, images uniform in [0, 1) for the torchvision ones,
    and for Silero a chunk of noise-like audio with its sample rate and a zero state."""
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    pages = text_images(n, shape) if "ppocr" in path else None
    out = []
    for k in range(n):
        feed = {}
        for i in session.get_inputs():
            if i.name == "sr":
                feed[i.name] = SILERO["sr"]
            elif i.name in ("h", "c"):
                feed[i.name] = np.zeros((2, 1, 64), np.float32)
            elif i.name == "state":
                feed[i.name] = np.zeros((2, 1, 128), np.float32)
            elif i.name == "input" and len(shape) == 2:  # audio in [-0.25, 0.25)
                feed[i.name] = (rng.random(shape, dtype=np.float32) - 0.5) * 0.5
            else:
                feed[i.name] = pages[k:k + 1] if pages is not None else rng.random(shape, dtype=np.float32)
        out.append(feed)
    return out


def cli_shapes(path, shape):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    args = []
    for i in session.get_inputs():
        if i.name == "sr":
            args += ["--value", "sr=16000"]
        elif i.name in ("h", "c"):
            args += ["--shape", f"{i.name}=2x1x64"]
        elif i.name == "state":
            args += ["--shape", "state=2x1x128"]
        else:
            args += ["--shape", f"{i.name}={'x'.join(map(str, shape))}"]
    return args


def sqnr(reference, candidate, feeds):
    a = ort.InferenceSession(reference, providers=["CPUExecutionProvider"])
    b = ort.InferenceSession(candidate, providers=["CPUExecutionProvider"])
    worst = None
    for name_index in range(len(a.get_outputs())):
        signal = noise = 0.0
        for feed in feeds:
            x = a.run(None, feed)[name_index].astype(np.float64)
            y = b.run(None, feed)[name_index].astype(np.float64)
            signal += float((x * x).sum())
            noise += float(((x - y) ** 2).sum())
        db = float("inf") if noise == 0 else 10 * np.log10(signal / noise)
        worst = db if worst is None else min(worst, db)
    return worst


def speedup(reference, candidate, shape_args):
    report = f"{work}/validate.json"
    subprocess.run(["java", "-jar", jar, "validate", "--reference", reference, "--candidate", candidate,
                    "--batch", "1", "--runs", "50", "--time", "1", "--report", report] + shape_args,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.load(open(report))["latency"][0]["speedup"]


GATE = 20  # dB: the similarity gate every int8 model must meet, or exit 1 naming it


def compress(model, out, options, shape_args, calib):
    """Runs compress; int8 under the SQNR gate (on the probe samples). Returns (report, error)."""
    report = f"{work}/compress.json"
    args = ["java", "-jar", jar, "compress", model, "-o", out, "--report", report, "--batch", "1", "--runs", "3",
            "--time", "0"] + options + shape_args
    if "--quantize" in options:
        args += ["--calib", calib, "--data", calib, "--min-sqnr", str(GATE)]
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        return None, result.stderr.strip().splitlines()[-1]
    return json.load(open(report)), None


class Reader(CalibrationDataReader):
    def __init__(self, feeds):
        self.items = iter(feeds)

    def get_next(self):
        return next(self.items, None)


def reached(steps, family, targets):
    for step in steps:
        changed = step["changed"]
        if family in ("l1", "magnitude") and step["pass"].startswith("prune-"):
            return f"{len(changed.get('layers', []))}/{targets['prunable']}"
        if family == "channels" and step["pass"] == "prune-channels":
            return f"{len(changed.get('layers', []))}/{targets['channel_layers']}"
        if family == "low-rank" and step["pass"] == "low-rank":
            return f"{len(changed.get('layers', []))}/{targets['factorizable']}"
        if family.startswith("static") and step["pass"] == "quantize-static":
            return f"{sum(changed.get('weighted_nodes', {}).values())}/{targets['weighted']}"
        if family.startswith("dynamic") and step["pass"] == "quantize-dynamic":
            return f"{changed.get('quantized_nodes', 0)}/{targets['dynamic']}"
    return f"0/?"


rows = []
for spec in specs:
    path, shape_text = spec.rsplit(":", 1)
    shape = tuple(int(d) for d in shape_text.split("x"))
    name = os.path.basename(path)[:-5]
    feeds = feeds_for(path, shape, 8)
    # The same samples as an .npz: batched along the first axis for one image input; one whole
    # input per sample (one more axis) for Silero's audio, sample rate and state.
    calib_file = f"{work}/{name}-calib.npz"
    if len(feeds[0]) == 1:
        key = next(iter(feeds[0]))
        np.savez(calib_file, **{key: np.concatenate([f[key] for f in feeds])})
    else:
        np.savez(calib_file, **{key: np.stack([f[key] for f in feeds]) for key in feeds[0]})
    shape_args = cli_shapes(path, shape)
    inspect = json.loads(subprocess.run(["java", "-jar", jar, "inspect", path, "--json"], capture_output=True,
                                        text=True, check=True).stdout)
    t = inspect["summary"]["targets"]
    ops = [q["op_type"] for q in t["quantizable"]]
    targets = {"prunable": len({p["initializer"] for p in t["prunable"]}), "factorizable": len(t["factorizable"]),
               "channel_layers": len({p["initializer"] for p in t["prunable"] if p["op_type"] in ("Conv", "Gemm", "MatMul")}),
               "weighted": sum(1 for o in ops if o in ("Conv", "ConvTranspose", "Gemm", "MatMul")),
               "dynamic": sum(1 for o in ops if o in ("Gemm", "MatMul", "LSTM"))}
    untranslatable = len(inspect["training"]["unsupported_nodes"])
    size = os.path.getsize(path)
    for family, options in [("l1", ["--prune", "l1:0.5"]), ("channels", ["--prune", "channels:0.25"]),
                            ("low-rank", ["--low-rank", "energy:0.9"]), ("static", ["--quantize", "static"]),
                            ("dynamic", ["--quantize", "dynamic"])]:
        out = f"{work}/{name}-{family}.onnx"
        report, error = compress(path, out, options, shape_args, calib_file)
        if report is None:
            rows.append((name, family, "error: " + error, "", "", ""))
            continue
        steps = report["steps"]
        warnings = [w for s in steps for w in s["warnings"]]
        if "--quantize" in options:
            quantization = report.get("quantization") or {}
            fallback = len(quantization.get("fallback_to_float") or [])
            family += (f" (gate {GATE} dB: " + ("passed" if report["passed"] else "FAILED, exit 1")
                       + (f", {fallback} nodes back to float" if fallback else "") + ")")
        try:
            similarity = f"{sqnr(path, out, feeds):.1f}"
        except Exception as e:  # written by us yet refused by this onnxruntime: a defect to show
            similarity = "onnxruntime " + ort.__version__ + " cannot run it: " + str(e).split("Status Message: ")[-1][:90]
        rows.append((name, family, reached(steps, family, targets) + (" (warned)" if warnings else ""),
                     similarity, f"{os.path.getsize(out) / size:.3f}", f"{speedup(path, out, shape_args):.2f}x"))
        if "--quantize" in options:
            mode = options[1]
            ortq = f"{work}/{name}-{mode}-ortq.onnx"
            try:
                # The peer as its documentation advises: pre-processing (shape inference, its optimizer) first.
                prepared = os.path.abspath(f"{work}/{name}-ortq-prepared.onnx")
                here = os.getcwd()
                try:
                    os.chdir(work)  # its shape inference leaves a temporary file in the working folder
                    quant_pre_process(os.path.join(here, path), prepared)
                except Exception:
                    prepared = path
                finally:
                    os.chdir(here)
                if mode == "static":
                    quantize_static(prepared, ortq, Reader(feeds), quant_format=QuantFormat.QDQ, per_channel=True,
                                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
                else:
                    quantize_dynamic(prepared, ortq, weight_type=QuantType.QInt8)
                rows.append((name, mode + " (ORT quantizer)", "", f"{sqnr(path, ortq, feeds):.1f}",
                             f"{os.path.getsize(ortq) / size:.3f}", f"{speedup(path, ortq, shape_args):.2f}x"))
            except Exception as e:  # the peer failing is a result too
                message = str(e).replace("\n", " ")
                rows.append((name, mode + " (ORT quantizer)", "error: " + message[-110:], "", "", ""))
    rows.append((name, "fine-tuning translation", f"{untranslatable} nodes untranslatable", "", "", ""))

print("| model | pass | weights reached / total | SQNR dB | size | speedup (batch 1) |")
print("|---|---|---|---|---|---|")
for row in rows:
    print("| " + " | ".join(row) + " |")
