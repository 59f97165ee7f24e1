"""PyTorch training throughput on the same networks, batch size and optimizer as edgecompress's
fine-tuning (Adam, batch 64, softmax cross-entropy), on the same machine: samples per second per
epoch, the first epoch apart (warm-up).

usage: python3 benchmarks/torch_train.py TRAIN.npz EPOCHS
"""
import sys
import time

import numpy as np
import torch
from torch import nn

from torch_models import LeNet5, Mlp, weights

data = np.load(sys.argv[1])
epochs = int(sys.argv[2])
torch.set_num_threads(2)
torch.manual_seed(1)
images = torch.from_numpy(data["input"])
labels = torch.from_numpy(data["labels"])
for name, net in (("mlp", Mlp(weights("test-models/mlp.onnx"))),
                  ("lenet5_bn", LeNet5(weights("test-models/lenet5_bn_unfolded_op13.onnx")))):
    net.train()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    rates = []
    for epoch in range(epochs):
        order = torch.randperm(len(images))
        start = time.perf_counter()
        for i in range(0, len(images), 64):
            batch = order[i:i + 64]
            optimizer.zero_grad()
            loss = loss_fn(net(images[batch]), labels[batch])
            loss.backward()
            optimizer.step()
        rates.append(len(images) / (time.perf_counter() - start))
    print(f"{name}: PyTorch {torch.__version__} training, samples/s per epoch {[round(r) for r in rates]},"
          f" median after the first {np.median(rates[1:]):.0f}")
