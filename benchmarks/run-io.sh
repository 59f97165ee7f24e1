#!/usr/bin/env bash
# Import + export of a generated ~400 MB model, edgecompress and Python's onnx alternating run by run
# in fresh processes (5 runs each), then a 3 GB model with external data through the command line
# in a 1 GiB heap. Needs: mvn -B -DskipTests install, and python3-onnx (Debian). Scratch: bench-work/.
source "$(dirname "$0")/setup.sh"
java_bench() { java ${JAVA_OPTS:-} -cp "$cp" dev.edgecompress.benchmarks.ModelIoBenchmark "$@"; }

echo "## 400 MB model: generate"
java_bench generate 400 "$work/m400.onnx"
for run in 1 2 3 4 5; do
  java_bench roundtrip "$work/m400.onnx" "$work/m400.java.onnx"
  /usr/bin/python3 benchmarks/onnx_io.py "$work/m400.onnx" "$work/m400.py.onnx"
done | tee "$work/m400.jsonl"
python3 benchmarks/summarize.py < "$work/m400.jsonl"
cmp "$work/m400.onnx" "$work/m400.java.onnx" && echo "edgecompress output is byte-identical to its input"

echo "## 3 GB model with external data"
java_bench generate 3200 "$work/m3g.onnx"
ls -l "$work"/m3g.onnx*
export EDGECOMPRESS_JAVA_OPTS="-Xmx1g"
/usr/bin/time -f "inspect: %e s, max RSS %M KiB" ./edgecompress inspect "$work/m3g.onnx" | head -12
/usr/bin/time -f "compress (round trip): %e s, max RSS %M KiB" \
  ./edgecompress compress "$work/m3g.onnx" -o "$work/m3g.out.onnx"
cmp "$work/m3g.onnx.data" "$work/m3g.out.onnx.data" && echo "external data of the copy is byte-identical"
JAVA_OPTS="-Xmx1g" java_bench roundtrip "$work/m3g.onnx" "$work/m3g.out2.onnx"
rm -f "$work"/m3g* "$work"/m400*
