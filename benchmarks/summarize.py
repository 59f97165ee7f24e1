"""Reads the JSON lines of benchmark runs from stdin; prints each tool's medians and the ratio."""
import json
import statistics
import sys

runs = {}
for line in sys.stdin:
    line = line.strip()
    if line.startswith("{") and '"tool"' in line:
        row = json.loads(line)
        runs.setdefault(row["tool"], []).append(row)
medians = {}
for tool, rows in runs.items():
    medians[tool] = {k: statistics.median(r[k] for r in rows) for k in rows[0] if isinstance(rows[0][k], (int, float))}
    m = medians[tool]
    extra = f", peak heap {m['peak_heap_bytes'] / 1e6:.1f} MB" if "peak_heap_bytes" in m else ""
    print(f"{tool}: {len(rows)} runs, median import {m['import_s']:.3f} s, export {m['export_s']:.3f} s,"
          f" total {m['total_s']:.3f} s, peak RSS {m['peak_rss_bytes'] / 1e6:.0f} MB{extra}")
tools = list(medians)
if len(tools) == 2:
    a, b = tools
    print(f"median total {b} / {a}: {medians[b]['total_s'] / medians[a]['total_s']:.2f}x")
    if "peak_heap_bytes" in medians[a]:
        print(f"peak heap / model size: {medians[a]['peak_heap_bytes'] / medians[a]['model_bytes']:.3f}")
