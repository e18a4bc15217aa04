// Not part of the build: checks native/cuda/cublaslt_api.h (our own declarations, used through dlopen)
// against NVIDIA's real <cublasLt.h>. Compile it where the cuBLAS headers are installed, e.g.
//   nvcc -std=c++17 -I native/cuda -c native/cuda/cublaslt_abi_check.cu -o /dev/null
// It produces no code; a mismatch is a static_assert failure naming the declaration.
#include <cublasLt.h>
#include <type_traits>
#include <cstddef>
#include "cublaslt_api.h"

namespace abi {

// Two parameter (or return) types pass the same way: same size and alignment, and both pointers, both
// integers/enums, or both floating point. Our opaque handle types and int-typed enums differ in name only.
template <class A, class B>
struct same_abi : std::integral_constant<bool,
        sizeof(A) == sizeof(B) && alignof(A) == alignof(B) && std::is_pointer<A>::value == std::is_pointer<B>::value &&
        (std::is_integral<A>::value || std::is_enum<A>::value) == (std::is_integral<B>::value || std::is_enum<B>::value) &&
        std::is_floating_point<A>::value == std::is_floating_point<B>::value> {};
template <>
struct same_abi<void, void> : std::true_type {};

template <class F, class G>
struct same_signature : std::false_type {};
template <class R1, class... A1, class R2, class... A2>
struct same_signature<R1 (*)(A1...), R2 (*)(A2...)>
    : std::integral_constant<bool, sizeof...(A1) == sizeof...(A2) && same_abi<R1, R2>::value &&
                                       std::conjunction<same_abi<A1, A2>...>::value> {};

#define SAME_FN(ours, real) \
    static_assert(same_signature<ecl::ours, decltype(&::real)>::value, #real ": signature differs from ecl::" #ours)
SAME_FN(CreateFn, cublasLtCreate);
SAME_FN(DestroyFn, cublasLtDestroy);
SAME_FN(GetVersionFn, cublasLtGetVersion);
SAME_FN(GetStatusStringFn, cublasLtGetStatusString);
SAME_FN(MatmulDescCreateFn, cublasLtMatmulDescCreate);
SAME_FN(MatmulDescDestroyFn, cublasLtMatmulDescDestroy);
SAME_FN(MatmulDescSetAttributeFn, cublasLtMatmulDescSetAttribute);
SAME_FN(MatrixLayoutCreateFn, cublasLtMatrixLayoutCreate);
SAME_FN(MatrixLayoutDestroyFn, cublasLtMatrixLayoutDestroy);
SAME_FN(MatrixLayoutSetAttributeFn, cublasLtMatrixLayoutSetAttribute);
SAME_FN(MatmulPreferenceCreateFn, cublasLtMatmulPreferenceCreate);
SAME_FN(MatmulPreferenceDestroyFn, cublasLtMatmulPreferenceDestroy);
SAME_FN(MatmulPreferenceSetAttributeFn, cublasLtMatmulPreferenceSetAttribute);
SAME_FN(MatmulAlgoGetHeuristicFn, cublasLtMatmulAlgoGetHeuristic);
SAME_FN(MatmulFn, cublasLtMatmul);
#undef SAME_FN

// handle and descriptor types are pointers
static_assert(std::is_pointer<cublasLtHandle_t>::value && std::is_pointer<cublasLtMatmulDesc_t>::value &&
                  std::is_pointer<cublasLtMatrixLayout_t>::value && std::is_pointer<cublasLtMatmulPreference_t>::value,
              "cuBLASLt handles are no longer pointers");
static_assert(std::is_pointer<cudaStream_t>::value, "cudaStream_t is not a pointer");
static_assert(sizeof(cublasStatus_t) == sizeof(ecl::Status), "cublasStatus_t size");

// structs copied by value
static_assert(sizeof(ecl::MatmulAlgo) == sizeof(cublasLtMatmulAlgo_t), "cublasLtMatmulAlgo_t size");
static_assert(alignof(ecl::MatmulAlgo) == alignof(cublasLtMatmulAlgo_t), "cublasLtMatmulAlgo_t alignment");
static_assert(sizeof(ecl::HeuristicResult) == sizeof(cublasLtMatmulHeuristicResult_t), "cublasLtMatmulHeuristicResult_t size");
static_assert(offsetof(ecl::HeuristicResult, algo) == offsetof(cublasLtMatmulHeuristicResult_t, algo), "heuristic result .algo");
static_assert(offsetof(ecl::HeuristicResult, workspaceSize) == offsetof(cublasLtMatmulHeuristicResult_t, workspaceSize),
              "heuristic result .workspaceSize");
static_assert(offsetof(ecl::HeuristicResult, state) == offsetof(cublasLtMatmulHeuristicResult_t, state), "heuristic result .state");
static_assert(offsetof(ecl::HeuristicResult, wavesCount) == offsetof(cublasLtMatmulHeuristicResult_t, wavesCount),
              "heuristic result .wavesCount");

// attribute value types we write: int32_t transposes, uint32_t epilogue, pointers, int64_t strides/ld, int32_t batch
static_assert(sizeof(cublasOperation_t) == sizeof(int32_t) && sizeof(cublasLtEpilogue_t) == sizeof(uint32_t), "attribute sizes");

// constants
#define SAME(ours, real) static_assert((long long)ecl::ours == (long long)real, #real " differs from ecl::" #ours)
SAME(STATUS_SUCCESS, CUBLAS_STATUS_SUCCESS);
SAME(STATUS_NOT_SUPPORTED, CUBLAS_STATUS_NOT_SUPPORTED);
SAME(R_32F, CUDA_R_32F);
SAME(R_64F, CUDA_R_64F);
SAME(R_16F, CUDA_R_16F);
SAME(R_16BF, CUDA_R_16BF);
SAME(COMPUTE_32F, CUBLAS_COMPUTE_32F);
SAME(COMPUTE_32F_FAST_TF32, CUBLAS_COMPUTE_32F_FAST_TF32);
SAME(COMPUTE_32F_FAST_16F, CUBLAS_COMPUTE_32F_FAST_16F);
SAME(COMPUTE_32F_FAST_16BF, CUBLAS_COMPUTE_32F_FAST_16BF);
SAME(COMPUTE_64F, CUBLAS_COMPUTE_64F);
SAME(OP_N, CUBLAS_OP_N);
SAME(OP_T, CUBLAS_OP_T);
SAME(MATMUL_DESC_TRANSA, CUBLASLT_MATMUL_DESC_TRANSA);
SAME(MATMUL_DESC_TRANSB, CUBLASLT_MATMUL_DESC_TRANSB);
SAME(MATMUL_DESC_EPILOGUE, CUBLASLT_MATMUL_DESC_EPILOGUE);
SAME(MATMUL_DESC_BIAS_POINTER, CUBLASLT_MATMUL_DESC_BIAS_POINTER);
SAME(MATMUL_DESC_BIAS_BATCH_STRIDE, CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE);
SAME(MATRIX_LAYOUT_BATCH_COUNT, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT);
SAME(MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET);
SAME(MATMUL_PREF_MAX_WORKSPACE_BYTES, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES);
SAME(MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES);
SAME(MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES);
SAME(MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES);
SAME(MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES);
SAME(EPILOGUE_DEFAULT, CUBLASLT_EPILOGUE_DEFAULT);
SAME(EPILOGUE_RELU, CUBLASLT_EPILOGUE_RELU);
SAME(EPILOGUE_BIAS, CUBLASLT_EPILOGUE_BIAS);
SAME(EPILOGUE_RELU_BIAS, CUBLASLT_EPILOGUE_RELU_BIAS);
SAME(EPILOGUE_GELU, CUBLASLT_EPILOGUE_GELU);
SAME(EPILOGUE_GELU_BIAS, CUBLASLT_EPILOGUE_GELU_BIAS);
SAME(EPILOGUE_BGRADB, CUBLASLT_EPILOGUE_BGRADB);
#undef SAME

}  // namespace abi
