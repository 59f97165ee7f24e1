#!/usr/bin/env bash
# 4-bit weight-only quantization against ONNX Runtime's MatMulNBits quantizer (issue: precision
# family): a six-layer 4096 x 4096 MatMul stack built by the script, and the bundled ViT and MLP;
# ours with rtn, hqq and gptq, ONNX Runtime's with RTN (block 32, symmetric) and HQQ; size, output
# SQNR or top-1, and speedup over float at batch 1 and 16 in one ONNX Runtime process. Needs:
# mvn -B -DskipTests install; pip install onnxruntime onnx onnx_ir (the python3 on PATH).
source "$(dirname "$0")/setup.sh"
python3 benchmarks/int4_vs_ortq.py "$work" "$cli_copy/edgecompress-cli.jar" "$cp" stack vit_tiny mlp
