# Sourced by the benchmark scripts: runs from the repository root, with a scratch folder, the
# benchmark classpath, and the Fashion-MNIST 10k test set as .npz (from dataset-fashion-mnist).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
work=bench-work
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-1}"
mkdir -p "$work"
cp="benchmarks/target/edgecompress-benchmarks-0.1.0-SNAPSHOT.jar:benchmarks/target/lib/*"
test10k="$work/fashion_mnist_test_10k.npz"
if [ -d /usr/share/datasets/fashion-mnist ] && [ ! -f "$test10k" ]; then
  /usr/bin/python3 benchmarks/fashion_mnist_npz.py "$test10k"
fi
# edgecompress ARGS...: the command line, run from a copy of its build taken when the script starts,
# so that the sources can change (and be rebuilt) while a benchmark runs.
cli_copy="$work/cli-$(basename "$0" .sh)"
rm -rf "$cli_copy"
cp -r cli/target "$cli_copy"
edgecompress() {
  java ${EDGECOMPRESS_JAVA_OPTS:-} -jar "$cli_copy/edgecompress-cli.jar" "$@"
}
