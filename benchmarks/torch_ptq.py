"""PyTorch's own int8 post-training quantization (FX graph mode, oneDNN engine as Debian builds it)
of the shared networks, side by side with edgecompress: the networks are rebuilt in PyTorch from
the ONNX files' weights (BatchNormalization kept, so FX fuses Conv+BN+ReLU itself), calibrated on
the same 512 images, and evaluated on the same 10k test images.

usage: python3 benchmarks/torch_ptq.py CALIB.npz TEST.npz
"""
import sys
import time

import numpy as np
import torch
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

from torch_models import LeNet5, Mlp, weights

calib = np.load(sys.argv[1])
test = np.load(sys.argv[2])
torch.backends.quantized.engine = "onednn"
torch.set_num_threads(2)


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
