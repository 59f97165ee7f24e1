#!/usr/bin/env bash
# Weight clustering (issue: precision family) on the bundled MLP, no training: clusters per layer
# and per channel, top-1 on the 2,000 bundled test images, gzip size against float, the step's
# weight SQNR. Needs: mvn -B -DskipTests install.
source "$(dirname "$0")/setup.sh"
echo "| clusters | per | top-1 % (float 89.20) | gzip vs float | weight SQNR dB |"
echo "|---|---|---|---|---|"
for per in layer channel; do
  for k in 4 8 16 32; do
    report="$work/cluster-$k-$per.json"
    edgecompress compress test-models/mlp.onnx -o "$work/cluster-$k-$per.onnx" --cluster "$k,per=$per" \
      --data test-models/fashion_mnist_test_2k.npz --time 0 --runs 1 --report "$report" > /dev/null
    /usr/bin/python3 - "$report" "$k" "$per" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
step = next(s for s in r["steps"] if s["pass"] == "cluster")
print(f"| {sys.argv[2]} | {sys.argv[3]} | {r['candidate']['accuracy'] * 100:.2f} | "
      f"{r['candidate']['gzip_bytes'] / r['reference']['gzip_bytes']:.3f} | {step['changed'].get('weight_sqnr_db', '-')} |")
PY
  done
done
