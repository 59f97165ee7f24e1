"""Exports torchvision architectures (random weights: structure and speed are what is measured) with
torch.onnx at the opsets given, for the real-model corpus benchmark.

Usage: /usr/bin/python3 export_torchvision.py OUT_DIR NAME:OPSET...   (e.g. mobilenet_v2:9)
"""
import sys

import torch
import torchvision

out = sys.argv[1]
torch.manual_seed(0)
for spec in sys.argv[2:]:
    name, opset = spec.split(":")
    model = getattr(torchvision.models, name)().eval()
    torch.onnx.export(model, torch.rand(1, 3, 224, 224), f"{out}/{name}_opset{opset}.onnx", opset_version=int(opset),
                      input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}})
