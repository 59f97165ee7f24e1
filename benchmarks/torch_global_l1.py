"""PyTorch's own global L1 unstructured pruning on the weights of an ONNX model, compared with the
zeros of the model edgecompress pruned: prints, per sparsity, how many weights the two masks differ in.

usage: python3 benchmarks/torch_global_l1.py ORIGINAL.onnx PRUNED_PATTERN
       (PRUNED_PATTERN contains {s}, replaced by the sparsity, e.g. bench-work/mlp-l1-{s}.onnx)
Weights: the initializers of Gemm/MatMul/Conv weight inputs, as torch prunes nn.Linear and nn.Conv2d weights.
"""
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch.nn.utils import prune

original, pattern = sys.argv[1], sys.argv[2]
model = onnx.load(original)
inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
names = []
for node in model.graph.node:
    if node.op_type in ("Gemm", "MatMul", "Conv") and len(node.input) > 1 and node.input[1] in inits:
        if node.input[1] not in names:
            names.append(node.input[1])

for sparsity in (0.5, 0.7, 0.8, 0.9):
    holders = []
    for name in names:
        holder = torch.nn.Module()
        holder.weight = torch.nn.Parameter(torch.from_numpy(inits[name].copy()))
        holders.append(holder)
    prune.global_unstructured([(h, "weight") for h in holders], pruning_method=prune.L1Unstructured, amount=sparsity)
    ours = {i.name: numpy_helper.to_array(i) for i in onnx.load(pattern.format(s=sparsity)).graph.initializer}
    differ = 0
    total = 0
    for name, holder in zip(names, holders):
        torch_zero = holder.weight_mask.numpy() == 0
        our_zero = ours[name] == 0
        differ += int(np.sum(torch_zero != our_zero))
        total += torch_zero.size
    print(f"{original} l1 {sparsity}: {total} weights, torch zeroes {int(sum((h.weight_mask == 0).sum() for h in holders))},"
          f" masks differ in {differ}")
