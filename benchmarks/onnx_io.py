"""Python's onnx.load + onnx.save on the same file, timed in-process, as the reference for ModelIoBenchmark."""
import json
import os
import resource
import sys
import time

import onnx

src, dst = sys.argv[1], sys.argv[2]
start = time.perf_counter()
model = onnx.load(src)
loaded = time.perf_counter()
external = os.path.exists(src + ".data")
if external:
    onnx.save(model, dst, save_as_external_data=True, location=os.path.basename(dst) + ".data")
else:
    onnx.save(model, dst)
saved = time.perf_counter()
print(json.dumps({
    "tool": "onnx " + onnx.__version__,
    "import_s": round(loaded - start, 3),
    "export_s": round(saved - loaded, 3),
    "total_s": round(saved - start, 3),
    "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}))
