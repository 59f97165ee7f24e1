"""Where a model's time goes on ONNX Runtime's CPU execution provider: kernel time per operator
type, from ONNX Runtime's own profiler, over 60 runs on uniform random inputs (dynamic dimensions
set to the batch size).

Usage: python3 ort_profile.py MODEL.onnx BATCH [THREADS]
"""
import collections
import json
import os
import sys

import numpy as np
import onnxruntime as ort

RUNS = 60

path, batch = sys.argv[1], int(sys.argv[2])
options = ort.SessionOptions()
options.enable_profiling = True
options.intra_op_num_threads = int(sys.argv[3]) if len(sys.argv) > 3 else 0
session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
types = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(int32)": np.int32}
rng = np.random.default_rng(7)
feeds = {}
for value in session.get_inputs():
    shape = [d if isinstance(d, int) else batch for d in value.shape]
    feeds[value.name] = rng.random(shape).astype(types[value.type])
for _ in range(RUNS):
    session.run(None, feeds)
trace = session.end_profiling()
total = collections.Counter()
count = collections.Counter()
with open(trace) as f:
    for event in json.load(f):
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            total[event["args"]["op_name"]] += event["dur"]
            count[event["args"]["op_name"]] += 1
os.remove(trace)
overall = sum(total.values())
for op, micros in total.most_common():
    print(f"{op:28s} {micros / overall * 100:5.1f}%  {micros / RUNS / 1000:7.3f} ms a run  {count[op] // RUNS:4d} nodes")
print(f"{'all':28s} {100:5.1f}%  {overall / RUNS / 1000:7.3f} ms a run")
