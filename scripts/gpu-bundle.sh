#!/usr/bin/env bash
# Builds gpu-bundle/: a self-contained folder that runs the CUDA backend's tests on a GPU machine with no
# JDK, no Maven and no network. See scripts/GPU_BUNDLE.md.
#   scripts/gpu-bundle.sh [--no-build] [output-dir]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=1
if [ "${1:-}" = "--no-build" ]; then BUILD=0; shift; fi
OUT=${1:-$ROOT/gpu-bundle}
LIMIT_MIB=64
JUNIT_PLATFORM_VERSION=1.14.4   # JUnit Jupiter 5.14.x runs on platform 1.14.x
MVN="mvn -q -B"

if [ -z "${JAVA_HOME:-}" ]; then JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")"); fi
[ -x "$JAVA_HOME/bin/jlink" ] || { echo "gpu-bundle: no jlink under JAVA_HOME=$JAVA_HOME" >&2; exit 1; }

cd "$ROOT"
if [ "$BUILD" = 1 ]; then
    # package (not install): the jars stay in each module's target/
    $MVN -pl cuda-backend -am -DskipTests package
fi
CUDA_JAR=$(ls cuda-backend/target/cuda-backend-*.jar | grep -v -e sources -e tests | head -1)
[ -f "$CUDA_JAR" ] || { echo "gpu-bundle: build cuda-backend first (needs nvcc)" >&2; exit 1; }

rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/native-fallback"

# 1. a trimmed Java runtime (JavaCPP needs jdk.unsupported for Unsafe, JUnit's XML reports need java.xml),
#    native symbols stripped and xz-compressed: run.sh unpacks it on first use
TMP_RT=$(mktemp -d)
trap 'rm -rf "$TMP_RT"' EXIT
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.xml,jdk.unsupported,java.management \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output "$TMP_RT/runtime"
if command -v strip >/dev/null; then find "$TMP_RT/runtime" -name '*.so' -exec strip --strip-unneeded {} + ; fi
tar -C "$TMP_RT" -cf - runtime | xz -9 -T2 > "$OUT/runtime.tar.xz"

# 2. the project's jars (engine-api's test-jar holds the backend contract suite CudaContractTest runs) and their
#    runtime dependencies (JavaCPP, OpenBLAS for the CPU reference)
cp engine-api/target/engine-api-*.jar native-support/target/native-support-*.jar cpu-backend/target/cpu-backend-*.jar "$CUDA_JAR" "$OUT/lib/"
$MVN -f cuda-backend/pom.xml dependency:copy-dependencies -DincludeScope=test -DexcludeGroupIds=dev.engine,org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian \
    -DoutputDirectory="$OUT/lib" >/dev/null
# OpenBLAS's platform jar also carries a full-LAPACK JNI variant and headers we never load: drop them
for j in "$OUT"/lib/openblas-*-linux-x86_64.jar; do
    [ -f "$j" ] && zip -q -d "$j" '*/libjniopenblas_full.so' '*/include/*' >/dev/null || true
done

# 3. the tests and the JUnit console launcher
cp -r cuda-backend/target/test-classes "$OUT/test-classes"
$MVN dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$JUNIT_PLATFORM_VERSION -DoutputDirectory="$OUT" >/dev/null
mv "$OUT"/junit-platform-console-standalone-*.jar "$OUT/junit-console.jar"

# 4. GCC runtime libraries the native code links against, used only where the machine lacks them
for l in libgomp.so.1 libstdc++.so.6 libgcc_s.so.1; do
    f=$(gcc -print-file-name=$l 2>/dev/null || true)
    [ -f "$f" ] && cp -L "$f" "$OUT/native-fallback/$l"
done

cp "$ROOT/scripts/gpu-run.sh" "$OUT/run.sh"
chmod +x "$OUT/run.sh"

SIZE_KIB=$(du -sk "$OUT" | cut -f1)
echo "gpu-bundle: $OUT is $((SIZE_KIB / 1024)) MiB"
if [ "$SIZE_KIB" -ge $((LIMIT_MIB * 1024)) ]; then
    echo "gpu-bundle: over the ${LIMIT_MIB} MiB limit" >&2
    exit 1
fi
