#!/usr/bin/env bash
# Builds gpu-bundle/: a self-contained folder that runs the CUDA backend's tests, the autograd and
# cross-module suites with CUDA preferred, `engine train` on the GPU and the GPU benchmarks (ours and
# PyTorch's, side by side) on a GPU machine with no JDK, no Maven and no network. See scripts/GPU_BUNDLE.md.
#   scripts/gpu-bundle.sh [--no-build] [output-dir]
# Works from a fresh clone: everything is built in one reactor invocation, nothing needs `mvn install`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=1
if [ "${1:-}" = "--no-build" ]; then BUILD=0; shift; fi
OUT=${1:-$ROOT/gpu-bundle}
LIMIT_MIB=54
JUNIT_PLATFORM_VERSION=1.14.4   # JUnit Jupiter 5.14.x runs on platform 1.14.x
MVN="mvn -q -B -ntp"
MODULES=cuda-backend,tests,benchmarks,cli   # with -am: everything they need

die() { echo "gpu-bundle: $*" >&2; exit 1; }
trap 'echo "gpu-bundle: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

if [ -z "${JAVA_HOME:-}" ]; then JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")"); fi
# The runtime is linked from BUNDLE_JDK, else a Temurin JDK where one is installed (it carries its own font
# libraries; Debian's JDK links the system's libharfbuzz, which GPU machines may lack), else JAVA_HOME.
JLINK_JDK=${BUNDLE_JDK:-$(ls -d /usr/lib/jvm/temurin-*-jdk* 2>/dev/null | sort -V | tail -1)}
JLINK_JDK=${JLINK_JDK:-$JAVA_HOME}
[ -x "$JLINK_JDK/bin/jlink" ] || die "no jlink under $JLINK_JDK (a full JDK 17+ is needed; set BUNDLE_JDK)"
command -v xz >/dev/null || die "xz is needed to compress the Java runtime (apt-get install xz-utils)"
[ -x /usr/local/cuda/bin/nvcc ] || command -v nvcc >/dev/null || die "nvcc not found: the CUDA backend cannot be built here"

cd "$ROOT"
DEPS=$(mktemp -d)
TMP_RT=$(mktemp -d)
trap 'rm -rf "$DEPS" "$TMP_RT"' EXIT
if [ "$BUILD" = 1 ]; then
    # one reactor: siblings resolve from this build, so a clone where `mvn install` never ran works
    echo "gpu-bundle: building $MODULES (tests compiled, not run)"
    $MVN -pl "$MODULES" -am -DskipTests package dependency:copy-dependencies -DincludeScope=test \
        -DexcludeGroupIds=dev.engine,org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian,org.openjdk.jmh \
        -DexcludeArtifactIds=onnxruntime,jopt-simple,commons-math3 -DoutputDirectory="$DEPS" \
        || die "the Maven build failed (run the command above without -q to see why)"
else  # repackage what target/ holds (no compiler, no nvcc, no JavaCPP) so siblings resolve from this reactor
    $MVN -pl "$MODULES" -am -DskipTests -Djavacpp.skip=true -Dexec.skip=true -Dmaven.main.skip=true -Dmaven.test.skip.exec=true \
        package dependency:copy-dependencies -DincludeScope=test \
        -DexcludeGroupIds=dev.engine,org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian,org.openjdk.jmh \
        -DexcludeArtifactIds=onnxruntime,jopt-simple,commons-math3 -DoutputDirectory="$DEPS" \
        || die "copying the dependencies failed"
fi
jar_of() {  # the module's main jar (not sources/tests/shaded), or nothing
    ls "$1"/target/"$1"-*.jar 2>/dev/null | grep -v -e sources -e tests | head -1 || true
}

rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/tests"

# 1. a trimmed Java runtime (JavaCPP needs jdk.unsupported for Unsafe, JUnit's XML reports java.xml, plots
#    java.desktop); uncompressed jlink image, then xz: smaller than jlink's own compression
# the compressed runtime is kept in target/ and reused while the JDK and the module list stay the same
JMODS=java.base,java.logging,java.xml,jdk.unsupported,java.management,java.desktop
RT_CACHE="$ROOT/target/gpu-runtime/$(basename "$JLINK_JDK")-$(echo "$JMODS" | cksum | cut -d' ' -f1).tar.xz"
if [ ! -s "$RT_CACHE" ]; then
    echo "gpu-bundle: linking a Java runtime from $JLINK_JDK"
    mkdir -p "$(dirname "$RT_CACHE")"
    "$JLINK_JDK/bin/jlink" --add-modules "$JMODS" \
        --strip-debug --no-header-files --no-man-pages --compress=0 --output "$TMP_RT/runtime" 2>&1 | grep -v deprecated || true
    [ -x "$TMP_RT/runtime/bin/java" ] || die "jlink failed"
    if command -v strip >/dev/null; then find "$TMP_RT/runtime" -name '*.so' -exec strip --strip-unneeded {} + ; fi
    tar -C "$TMP_RT" -cf - runtime | xz -9 -T2 > "$RT_CACHE.tmp" && mv "$RT_CACHE.tmp" "$RT_CACHE"
fi
cp "$RT_CACHE" "$OUT/runtime.tar.xz"

# 2. the project's jars and their runtime dependencies (JavaCPP, OpenBLAS for the CPU reference, picocli, protobuf)
for m in */pom.xml; do   # every module's main jar (not sources/tests/shaded), so a new module needs no edit here
    m=${m%/pom.xml}
    grep -q '<packaging>pom</packaging>' "$m/pom.xml" && continue   # a BOM or aggregator: no jar
    case $m in tests|examples) continue ;; esac
    j=$(jar_of "$m")
    [ -n "$j" ] || die "no jar in $m/target (build it first, or drop --no-build)"
    cp "$j" "$OUT/lib/"
done
cp "$DEPS"/*.jar "$OUT/lib/"
# OpenBLAS's platform jar also carries a full-LAPACK JNI variant and headers we never load: drop them
for j in "$OUT"/lib/openblas-*-linux-x86_64.jar; do
    [ -f "$j" ] && zip -q -d "$j" '*/libjniopenblas_full.so' '*/include/*' >/dev/null || true
done

# 3. the test suites (CUDA parity, the backend contract suite, autograd and cross-module suites), the
#    JUnit console launcher, the shared test data (models, digits)
for m in engine-api cuda-backend autograd data inference train tests; do
    [ -d "$m/target/test-classes" ] && cp -r "$m/target/test-classes" "$OUT/tests/$m"
done

$MVN dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$JUNIT_PLATFORM_VERSION -DoutputDirectory="$OUT" \
    || die "could not fetch the JUnit console launcher"
mv "$OUT"/junit-platform-console-standalone-*.jar "$OUT/junit-console.jar"
if [ -d "$ROOT/../shared/data" ]; then
    mkdir -p "$OUT/shared/data"
    cp -r "$ROOT/../shared/data/models" "$OUT/shared/data/" 2>/dev/null || true
    cp "$ROOT/../shared/data/digits.csv" "$OUT/shared/data/" 2>/dev/null || true
    chmod -R u+w "$OUT/shared"
fi

# 4. the run script, the PyTorch peer and the report maker
cp "$ROOT/scripts/gpu-run.sh" "$OUT/run.sh"
cp "$ROOT"/scripts/gpu/*.py "$OUT/"
[ -f "$ROOT/native/cuda/cublaslt_abi_check.cu" ] && cp "$ROOT"/native/cuda/cublaslt_api.h "$ROOT"/native/cuda/cublaslt_abi_check.cu "$OUT/" || true
chmod +x "$OUT/run.sh"

SIZE_KIB=$(du -sk "$OUT" | cut -f1)
echo "gpu-bundle: $OUT is $((SIZE_KIB / 1024)) MiB"
[ "$SIZE_KIB" -lt $((LIMIT_MIB * 1024)) ] || die "over the ${LIMIT_MIB} MiB limit (the device tool carries at most 64 MiB with the tree)"
