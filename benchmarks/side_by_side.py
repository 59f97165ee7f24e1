"""What the side-by-side benchmark scripts share: judging a model's outputs on ONNX Runtime (top-1,
SQNR against a reference) and timing files against a float model in one Int8SpeedBenchmark process."""
import re
import subprocess

import numpy as np
import onnxruntime as ort


def judge(model, samples, labels, reference=None):
    """(top-1 % or None without labels, SQNR dB against the reference outputs or None, outputs)."""
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    outputs = np.concatenate([session.run(None, {"input": samples[i:i + 64]})[0]
                              for i in range(0, len(samples), 64)])
    top1 = None if labels is None else float((outputs.argmax(1) == labels).mean() * 100)
    if reference is None:
        return top1, None, outputs
    noise = float(((reference.astype(np.float64) - outputs) ** 2).sum())
    signal = float((reference.astype(np.float64) ** 2).sum())
    return top1, (float("inf") if noise == 0 else 10 * np.log10(signal / noise)), outputs


def speed(classpath, batches, files, heap="2g"):
    """{(label, batch): (speedup, low, high)} from one Int8SpeedBenchmark process; files[0] is the
    float model's (label, path), the others are timed against it."""
    result = subprocess.run(["java", f"-Xmx{heap}", "-cp", classpath, "dev.edgecompress.benchmarks.Int8SpeedBenchmark",
                             batches, files[0][1]] + [f"{label}={path}" for label, path in files[1:]],
                            capture_output=True, text=True, check=True)
    out = {}
    for line in result.stdout.splitlines():
        fields = dict(re.findall(r"(\w+)=(\S+)", line))
        out[(fields["model"], int(fields["batch"]))] = (float(fields["speedup"]), float(fields["low"]),
                                                        float(fields["high"]))
    return out
