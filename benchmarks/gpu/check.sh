#!/usr/bin/env bash
# Every check that needs a GPU, in one command: the CUDA tests, then the GPU speed benchmark.
#
#   here:  bash benchmarks/gpu/fetch_wheels.sh         # once: wheels into .whl/
#   there: bash benchmarks/gpu/check.sh                # with .whl carried; about 5 minutes
#
# Results go to $OUT (the device tool's folder) or, without it, benchmarks/results/: the test
# log, the benchmark's Markdown table (speed_cuda.md) and the software it ran on.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-benchmarks/results}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH="$PWD:/tmp/site"
fi
{
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
    python3 -c "import sys, torch, sklearn, skorch, imblearn, numpy
print('python', sys.version.split()[0], '| torch', torch.__version__, '| cuda', torch.version.cuda,
      '| scikit-learn', sklearn.__version__, '| skorch', skorch.__version__,
      '| imbalanced-learn', imblearn.__version__, '| numpy', numpy.__version__)"
} 2>&1 | tee "$out/gpu_env.txt"
# The GPU machine's own torch, numpy and pandas differ from CI's: their deprecation notices are
# not what these tests check, so only those are let through (CI keeps every warning an error).
timeout 300 python3 -m pytest tests/test_cuda.py -p no:cacheprovider -q -rs \
    -W ignore::DeprecationWarning -W ignore::FutureWarning 2>&1 | tee "$out/gpu_tests.log"
tests=${PIPESTATUS[0]}
timeout 300 python3 benchmarks/speed.py --device cuda --epochs 4 --out "$out/speed_cuda.md" 2>&1 \
    | tee "$out/gpu_speed.log"
bench=${PIPESTATUS[0]}
echo "tests exit $tests, benchmark exit $bench"
[ "$tests" -eq 0 ] && [ "$bench" -eq 0 ]
