"""Converts Debian's dataset-fashion-mnist (IDX files, test or training set) to the .npz the benchmarks read:
input float32 [N,1,28,28] in [0,1] (pixel / 255, as the reference models were trained) and labels int64.

usage: python3 benchmarks/fashion_mnist_npz.py OUT.npz [--split t10k|train] [--rows FILE]

--rows FILE keeps the rows listed in FILE (one index per line, '#' comments), in that order.
"""
import gzip
import sys

import numpy as np

root = "/usr/share/datasets/fashion-mnist/"
out = sys.argv[1]
options = dict(zip(sys.argv[2::2], sys.argv[3::2]))
split = options.get("--split", "t10k")
with gzip.open(root + split + "-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
with gzip.open(root + split + "-labels-idx1-ubyte.gz") as f:
    labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
if "--rows" in options:
    rows = [int(line) for line in open(options["--rows"]) if line.strip() and not line.startswith("#")]
    images, labels = images[rows], labels[rows]
np.savez(out, input=(images.astype(np.float32) / 255.0), labels=labels)
print(out, images.shape, labels.shape)
