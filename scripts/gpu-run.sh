#!/usr/bin/env bash
# run.sh of the GPU bundle (copied there by scripts/gpu-bundle.sh). On a GPU machine with no JDK:
#   ./run.sh [results-dir] [phases]      (default dir: $OUT if set, else ./results; phases: all, or a
#                                          comma list of env,tests,suites,train,bench,torch)
# Runs the CUDA parity tests and the backend contract suite, the autograd and cross-module suites with
# CUDA preferred, `engine train` on the digits with --backend cuda, the GPU benchmarks (GEMM kernels vs
# cuBLASLt in-process; training steps and frozen inference in several configurations) and the same
# models in PyTorch when python3 has torch; writes summary.md (the table of ratios) and results.tar.gz
# (JUnit XML, console logs, JSON). Exits non-zero when a test failed.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
RESULTS=${1:-${OUT:-$HERE/results}}
PHASES=${2:-all}
mkdir -p "$RESULTS"
WORK=$(mktemp -d)
SUMMARY="$RESULTS/summary.md"
: > "$SUMMARY"
want() { [ "$PHASES" = all ] || [[ ",$PHASES," == *",$1,"* ]]; }
note() { echo "$*" | tee -a "$SUMMARY"; }
START=$(date +%s)
elapsed() { echo $(( $(date +%s) - START ))s; }

# the Java runtime travels xz-compressed; unpack it beside this script (or in a temp dir if read-only)
RT="$HERE/runtime"
if [ ! -x "$RT/bin/java" ]; then
    [ -w "$HERE" ] || RT="$WORK/runtime"
    mkdir -p "$(dirname "$RT")"
    if command -v xz >/dev/null; then
        xz -dc "$HERE/runtime.tar.xz" | tar -C "$(dirname "$RT")" -xf -
    else
        python3 -c 'import lzma, sys, tarfile; tarfile.open(fileobj=lzma.open(sys.argv[1])).extractall(sys.argv[2])' \
            "$HERE/runtime.tar.xz" "$(dirname "$RT")"
    fi
fi
JAVA="$RT/bin/java"

# where a GPU answers, an unavailable backend must fail the tests instead of skipping them
REQUIRE=false
if command -v nvidia-smi >/dev/null && nvidia-smi > "$WORK/nvidia-smi.txt" 2>&1; then REQUIRE=true; fi
export ENGINE_MODELS="$HERE/shared/data/models"
LIB=$(ls "$HERE"/lib/*.jar | tr '\n' ':')
JOPTS=(-Xss4m -Dengine.requireCuda=$REQUIRE -Dengine.requireCublasLt=$REQUIRE -Dorg.bytedeco.javacpp.cachedir="$WORK/javacpp-cache")
STATUS=0
ENGINE_JSON=()

note "# GPU bundle run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
note ""
note "$(nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi')"

if want env; then
    # where the CUDA libraries live (the backend's locator searches these itself; this is for the record)
    { echo "## CUDA libraries"; ls -d /usr/local/cuda* 2>/dev/null
      find /usr/local /usr/lib /opt -maxdepth 7 \( -name 'libcublasLt.so*' -o -name 'cublasLt.h' -o -name 'libnvrtc.so*' \) 2>/dev/null | head -20
    } > "$WORK/env.txt" 2>&1
    cat "$WORK/env.txt"
    # our own cuBLASLt declarations against the real header, where nvcc and the header are present
    if [ -f "$HERE/cublaslt_abi_check.cu" ]; then
        NVCC=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
        INC=$(dirname "$(find /usr/local /usr/lib /opt -maxdepth 7 -name cublasLt.h 2>/dev/null | head -1)" 2>/dev/null)
        if [ -n "$NVCC" ] && [ -n "$INC" ]; then
            if "$NVCC" -std=c++17 -I"$INC" -I"$HERE" -c "$HERE/cublaslt_abi_check.cu" -o "$WORK/abi.o" > "$WORK/abi-check.txt" 2>&1; then
                note "cuBLASLt ABI check: our declarations match $INC/cublasLt.h"
            else
                note "cuBLASLt ABI check FAILED against $INC/cublasLt.h:"; head -40 "$WORK/abi-check.txt" | tee -a "$SUMMARY"; STATUS=1
            fi
        else
            note "cuBLASLt ABI check skipped: nvcc=${NVCC:-none} header dir=${INC:-none}"
        fi
    fi
fi

junit() {  # junit NAME TEST-CLASSES-DIR [extra java options...]; the contract suite's classes are on every path
    local name=$1 dir=$2; shift 2
    [ -d "$dir" ] || { note "suite $name: not in this bundle"; return; }
    mkdir -p "$WORK/junit-$name"
    # the suites on the JVM's own class path (not the launcher's --class-path): tests that start child JVMs copy it
    (cd "$HERE" && timeout 900 "$JAVA" "${JOPTS[@]}" "$@" -cp "$HERE/junit-console.jar:$LIB$dir:$HERE/tests/engine-api" \
        org.junit.platform.console.ConsoleLauncher execute --scan-class-path "$dir" --reports-dir "$WORK/junit-$name" \
        --exclude-classname '.*OnnxExportTest' \
        --details=summary --disable-banner --disable-ansi-colors > "$WORK/junit-$name/console.txt" 2>&1)
    local rc=$?
    [ $rc = 0 ] || STATUS=1
    note "suite $name: exit $rc, $(grep -E 'tests (successful|failed|skipped|aborted)' "$WORK/junit-$name/console.txt" | tr -s ' ' | tr '\n' ';') ($(elapsed))"
    grep -E '^\s*(JUnit Jupiter:|=> )' "$WORK/junit-$name/console.txt" | head -40 >> "$SUMMARY"
}

if want tests; then
    junit cuda "$HERE/tests/cuda-backend"
    junit contract "$HERE/tests/engine-api"
fi
if want suites; then
    for m in autograd data inference train; do junit "$m" "$HERE/tests/$m"; done
    junit crossmodule "$HERE/tests/tests"
fi

if want train; then
    (cd "$WORK" && timeout 300 "$JAVA" "${JOPTS[@]}" -Djava.awt.headless=true -cp "$LIB" dev.engine.cli.Main train --backend cuda \
        --out "$WORK/digits.model" > "$WORK/engine-train.txt" 2>&1)
    rc=$?; [ $rc = 0 ] || STATUS=1
    note "engine train --backend cuda: exit $rc; $(grep -E 'test accuracy|backend=' "$WORK/engine-train.txt" | tr '\n' ';') ($(elapsed))"
fi

if want bench; then
    for cls in dev.engine.cuda.CudaGemmBench dev.engine.cuda.CudaQuickBench; do
        (cd "$HERE" && timeout 240 "$JAVA" "${JOPTS[@]}" -cp "$LIB$HERE/tests/cuda-backend" $cls > "$WORK/$cls.txt" 2>&1) \
            || note "$cls failed (exit $?)"
        note ""; note "## $cls ($(elapsed))"; note '```'; tail -60 "$WORK/$cls.txt" >> "$SUMMARY"; note '```'
    done
    ENGINE_JSON=()
    # GEMM implementation x precision: our kernels, cuBLASLt, cuBLASLt with TF32, recorded frozen calls, BF16 autocast training
    ALL=mlp784,transformer,lenet,mlp4096,frozen
    for cfg in "own:-Dengine.cuda.gemm=own" "cublaslt:-Dengine.cuda.gemm=auto" "cublaslt-tf32:-Dengine.cuda.gemm=auto -Dengine.cuda.tf32=true" \
               "cublaslt-graphs:-Dengine.cuda.gemm=auto -Dengine.cuda.recordCalls=true" \
               "cublaslt-bf16:-Dengine.cuda.gemm=auto -Dengine.bench.autocast=bf16"; do
        label=${cfg%%:*}; opts=${cfg#*:}
        only=$ALL; [ "$label" = cublaslt ] && only=$ALL,lenet-layers; [ "$label" = cublaslt-graphs ] && only=frozen
        [ "$label" = cublaslt-bf16 ] && only=mlp784,transformer,lenet,mlp4096
        # shellcheck disable=SC2086
        (cd "$HERE" && timeout 400 "$JAVA" "${JOPTS[@]}" $opts -Dengine.backend=cuda -cp "$LIB" dev.engine.bench.GpuBench \
            --label "$label" --only "$only" --out "$WORK/engine-$label.json" > "$WORK/gpubench-$label.txt" 2>&1) || note "GpuBench $label failed (exit $?)"
        [ -f "$WORK/engine-$label.json" ] && ENGINE_JSON+=("$WORK/engine-$label.json")
        note "GpuBench $label done ($(elapsed))"
    done
    # BF16 autocast against F32 training of the MLP 4096 (batch 1024) from the same weights: the loss curves
    (cd "$HERE" && timeout 300 "$JAVA" "${JOPTS[@]}" -Dengine.backend=cuda -cp "$LIB" dev.engine.bench.MixedPrecisionCheck converge 120 mlp4096:1024 \
        > "$WORK/mixed-precision-converge.txt" 2>&1) || note "MixedPrecisionCheck failed (exit $?)"
    note "MixedPrecisionCheck: $(tail -1 "$WORK/mixed-precision-converge.txt") ($(elapsed))"
fi

if want torch && python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    (cd "$WORK" && timeout 400 python3 "$HERE/torch_peer.py" --out "$WORK/torch.json" > "$WORK/torch.txt" 2>&1) || note "torch_peer failed (exit $?)"
    note "PyTorch peer done ($(elapsed))"
    if [ -f "$WORK/torch.json" ] && [ ${#ENGINE_JSON[@]} -gt 0 ]; then
        note ""; note "## Engine vs PyTorch, same GPU, same run (ratio = engine / PyTorch)"; note ""
        python3 "$HERE/report.py" "$WORK/torch.json" "${ENGINE_JSON[@]}" | tee -a "$SUMMARY"
    fi
else
    want torch && note "PyTorch peer skipped: python3 with CUDA torch not found"
fi

rm -rf "$WORK/javacpp-cache"
tar -C "$WORK" -czf "$RESULTS/results.tar.gz" . 2>/dev/null
note ""
note "run.sh: exit $STATUS after $(elapsed); details in results.tar.gz"
exit "$STATUS"
