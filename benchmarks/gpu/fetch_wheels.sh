#!/usr/bin/env bash
# Download, into .whl/ at the repository root (git-ignored), the wheels that the GPU machine lacks:
# skorch, imbalanced-learn (and sklearn-compat) and scikit-learn, at the versions installed in
# the environment that runs this script, built for the GPU machine's Python (3.12, x86-64).
# Run it from the repository root with the project's environment active; then pass `.whl` to the
# device tool's `carry` and run benchmarks/gpu/check.sh there.
set -euo pipefail
cd "$(dirname "$0")/../.."
version() { python -c "import importlib.metadata as m; print(m.version('$1'))"; }
mkdir -p .whl
for name in skorch imbalanced-learn sklearn-compat scikit-learn; do
    python -m pip download -q --no-deps --only-binary=:all: --python-version "${PYVER:-3.12}" \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl "$name==$(version "$name")"
done
ls -l .whl
