"""PyTorch's own int8 post-training quantization (FX graph mode, oneDNN engine as Debian builds it)
of the shared networks, side by side with edgecompress: the networks are rebuilt in PyTorch from
the ONNX files' weights (BatchNormalization kept, so FX fuses Conv+BN+ReLU itself), calibrated on
the same 512 images, and evaluated on the same 10k test images.

usage: python3 benchmarks/torch_ptq.py CALIB.npz TEST.npz
"""
import sys
import time

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

calib = np.load(sys.argv[1])
test = np.load(sys.argv[2])
torch.backends.quantized.engine = "onednn"
torch.set_num_threads(2)


def weights(path):
    return {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in onnx.load(path).graph.initializer}


class Mlp(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.flatten = nn.Flatten()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 300), nn.Linear(300, 100), nn.Linear(100, 10)
        self.relu1, self.relu2 = nn.ReLU(), nn.ReLU()
        for name in ("fc1", "fc2", "fc3"):
            getattr(self, name).weight.data = w[name + ".weight"]
            getattr(self, name).bias.data = w[name + ".bias"]

    def forward(self, x):
        return self.fc3(self.relu2(self.fc2(self.relu1(self.fc1(self.flatten(x))))))


class LeNet5(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(1, 6, 5, padding=2), nn.BatchNorm2d(6)
        self.c2, self.b2 = nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16)
        self.f1, self.f2, self.f3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)
        self.relu = nn.ModuleList([nn.ReLU() for _ in range(4)])
        self.pool1, self.pool2 = nn.MaxPool2d(2), nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        for name in ("c1", "c2", "f1", "f2", "f3"):
            getattr(self, name).weight.data = w[name + ".weight"]
            getattr(self, name).bias.data = w[name + ".bias"]
        for name in ("b1", "b2"):
            bn = getattr(self, name)
            bn.weight.data, bn.bias.data = w[name + ".weight"], w[name + ".bias"]
            bn.running_mean.data, bn.running_var.data = w[name + ".running_mean"], w[name + ".running_var"]

    def forward(self, x):
        x = self.pool1(self.relu[0](self.b1(self.c1(x))))
        x = self.pool2(self.relu[1](self.b2(self.c2(x))))
        x = self.relu[2](self.f1(self.flatten(x)))
        return self.f3(self.relu[3](self.f2(x)))


def accuracy(model, data):
    with torch.no_grad():
        logits = torch.cat([model(torch.from_numpy(data["input"][i:i + 500])) for i in range(0, len(data["input"]), 500)])
    return (logits.argmax(1).numpy() == data["labels"]).mean()


for name, net in (("mlp", Mlp(weights("test-models/mlp.onnx"))),
                  ("lenet5_bn", LeNet5(weights("test-models/lenet5_bn_unfolded_op13.onnx")))):
    net.eval()
    fp32 = accuracy(net, test)
    example = (torch.from_numpy(calib["input"][:1]),)
    start = time.perf_counter()
    prepared = prepare_fx(net, get_default_qconfig_mapping("onednn"), example)
    with torch.no_grad():
        for i in range(0, len(calib["input"]), 64):
            prepared(torch.from_numpy(calib["input"][i:i + 64]))
    quantized = convert_fx(prepared)
    seconds = time.perf_counter() - start
    int8 = accuracy(quantized, test)
    print(f"{name}: PyTorch {torch.__version__} FX int8 (onednn): fp32 {fp32:.4f} -> int8 {int8:.4f}"
          f" ({(int8 - fp32) * 100:+.2f} pt), calibrate + convert {seconds:.2f} s")
