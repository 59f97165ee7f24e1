"""Converts Debian's dataset-fashion-mnist test set (IDX files) to the .npz the benchmarks read:
input float32 [N,1,28,28] in [0,1] (pixel / 255, as the reference models were trained) and labels int64.

usage: python3 benchmarks/fashion_mnist_npz.py OUT.npz [--split t10k|train]
"""
import gzip
import sys

import numpy as np

root = "/usr/share/datasets/fashion-mnist/"
out = sys.argv[1]
split = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--split" else "t10k"
with gzip.open(root + split + "-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
with gzip.open(root + split + "-labels-idx1-ubyte.gz") as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
np.savez(out, input=(images.astype(np.float32) / 255.0), labels=labels)
print(out, images.shape, labels.shape)
