"""Exports the two small networks that check training on real PyTorch exports beyond the shared
MLP and LeNet-5: a residual CNN (BatchNormalization, residual Add, GlobalAveragePool) and a
one-block vision transformer (patch Conv, LayerNormalization, attention by MatMul/Softmax with
Reshape/Transpose, GELU as Erf). Each is trained for 2 epochs on Fashion-MNIST so its outputs are
meaningful, then written to test-models/ with a dynamic batch axis.

Usage: python3 benchmarks/export_test_models.py TRAIN.npz OUT_DIR
"""
import sys

import numpy as np
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
        self.c2, self.b2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)

    def forward(self, x):
        y = torch.relu(self.b1(self.c1(x)))
        return torch.relu(x + self.b2(self.c2(y)))


class TinyResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem, self.bn = nn.Conv2d(1, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16)
        self.block1, self.block2 = Block(16), Block(16)
        self.down = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        y = self.block2(self.block1(torch.relu(self.bn(self.stem(x)))))
        y = torch.relu(self.down(y))
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))


class TinyViT(nn.Module):
    def __init__(self, dim=32, heads=2):
        super().__init__()
        self.heads, self.dim = heads, dim
        self.patch = nn.Conv2d(1, dim, 7, stride=7)
        self.position = nn.Parameter(torch.zeros(1, 16, dim))
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp1, self.mlp2 = nn.Linear(dim, 2 * dim), nn.Linear(2 * dim, dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        tokens = self.patch(x).flatten(2).transpose(1, 2) + self.position  # [N, 16, dim]
        n, t, d = tokens.shape
        qkv = self.qkv(self.norm1(tokens)).reshape(n, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attention = torch.softmax(q @ k.transpose(-2, -1) / (d // self.heads) ** 0.5, dim=-1)
        mixed = (attention @ v).transpose(1, 2).reshape(n, t, d)
        tokens = tokens + self.proj(mixed)
        tokens = tokens + self.mlp2(nn.functional.gelu(self.mlp1(self.norm2(tokens))))
        return self.head(self.norm3(tokens).mean(dim=1))


def train(model, images, labels, epochs=2):
    torch.manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(images))
        for start in range(0, len(images), 64):
            batch = order[start:start + 64]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(images[batch]), labels[batch])
            loss.backward()
            optimizer.step()
    model.eval()


def main(train_path, out_dir):
    data = np.load(train_path)
    images = torch.from_numpy(data["input"])
    labels = torch.from_numpy(data["labels"]).long()
    for name, model in (("resnet_tiny", TinyResNet()), ("vit_tiny", TinyViT())):
        torch.manual_seed(0)
        model.apply(lambda m: m.reset_parameters() if hasattr(m, "reset_parameters") else None)
        train(model, images, labels)
        torch.onnx.export(model, images[:1], f"{out_dir}/{name}.onnx", input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17,
                          do_constant_folding=True)
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
