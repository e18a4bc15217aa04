#!/usr/bin/env bash
# run.sh of the GPU bundle (copied there by scripts/gpu-bundle.sh): runs the CUDA tests with the bundled
# Java runtime and writes JUnit XML reports plus the console log.
#   ./run.sh [reports-dir]        (default: $OUT if set, else ./reports)
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPORTS=${1:-${OUT:-$HERE/reports}}
mkdir -p "$REPORTS"

# the Java runtime travels xz-compressed; unpack it beside this script (or in a temp dir if read-only)
RT="$HERE/runtime"
if [ ! -x "$RT/bin/java" ]; then
    [ -w "$HERE" ] || RT="$(mktemp -d)/runtime"
    mkdir -p "$(dirname "$RT")"
    if command -v xz >/dev/null; then
        xz -dc "$HERE/runtime.tar.xz" | tar -C "$(dirname "$RT")" -xf -
    else
        python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$HERE/runtime.tar.xz" "$(dirname "$RT")"
    fi
fi

# bundled GCC runtime libraries only for those the system lacks
EXTRA=""
for l in libgomp.so.1 libstdc++.so.6 libgcc_s.so.1; do
    if ! /sbin/ldconfig -p 2>/dev/null | awk '{print $1}' | grep -qxF "$l"; then EXTRA=1; fi
done
[ -n "$EXTRA" ] && export LD_LIBRARY_PATH="$HERE/native-fallback${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# where a GPU answers, an unavailable backend (e.g. a driver older than the CUDA 13 runtime) must fail the
# tests instead of skipping them
REQUIRE=false
if command -v nvidia-smi >/dev/null && nvidia-smi > "$REPORTS/nvidia-smi.txt" 2>&1; then REQUIRE=true; else echo "nvidia-smi missing or failed" >> "$REPORTS/nvidia-smi.txt"; fi

CP=$(ls "$HERE"/lib/*.jar | tr '\n' ':')"$HERE/test-classes"
"$RT/bin/java" -Xss4m -Dengine.requireCuda=$REQUIRE -Dorg.bytedeco.javacpp.cachedir="$REPORTS/.javacpp-cache" \
    -jar "$HERE/junit-console.jar" execute \
    --class-path "$CP" --scan-class-path "$HERE/test-classes" \
    --reports-dir "$REPORTS" --details=tree --disable-banner --disable-ansi-colors 2>&1 | tee "$REPORTS/console.txt"
STATUS=${PIPESTATUS[0]}
# a quick speed check (GEMM GFLOP/s, batch-1 MLP eager vs graph); the JMH suite lives in benchmarks/
"$RT/bin/java" -Dorg.bytedeco.javacpp.cachedir="$REPORTS/.javacpp-cache" -cp "$CP" dev.engine.cuda.CudaQuickBench \
    > "$REPORTS/quick-bench.txt" 2>&1 || echo "run.sh: quick bench failed, see quick-bench.txt"
cat "$REPORTS/quick-bench.txt"
rm -rf "$REPORTS/.javacpp-cache"
echo "run.sh: tests exited with $STATUS; reports in $REPORTS"
exit "$STATUS"
