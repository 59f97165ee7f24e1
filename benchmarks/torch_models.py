"""The shared Fashion-MNIST networks rebuilt in PyTorch from the ONNX files' weights, for the
benchmarks that compare with PyTorch (BatchNormalization kept as its own module)."""
import onnx
import torch
from onnx import numpy_helper
from torch import nn


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
