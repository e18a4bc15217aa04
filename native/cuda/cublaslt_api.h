// Our own minimal declarations of the cuBLASLt C API (cublasLt.h, cuBLAS 12/13): only what the GEMM path
// uses. The library is opened with dlopen at run time (cublaslt.cu), so nothing here is linked and the
// CUDA toolkit's cuBLAS headers are not needed to build. cublaslt_abi_check.cu compares every constant,
// struct size and function signature below with the real header (compiled where cuBLAS is installed).
#pragma once
#include <cstddef>
#include <cstdint>

namespace ecl {

// Opaque handles: the library allocates the objects; we only pass the pointers back.
struct Context;
struct MatmulDescOpaque;
struct MatrixLayoutOpaque;
struct MatmulPreferenceOpaque;
typedef Context* Handle;                        // cublasLtHandle_t
typedef MatmulDescOpaque* MatmulDesc;           // cublasLtMatmulDesc_t
typedef MatrixLayoutOpaque* MatrixLayout;       // cublasLtMatrixLayout_t
typedef MatmulPreferenceOpaque* MatmulPreference;  // cublasLtMatmulPreference_t

typedef int Status;  // cublasStatus_t
const Status STATUS_SUCCESS = 0;
const Status STATUS_NOT_SUPPORTED = 15;

// cudaDataType_t (library_types.h)
const int32_t R_32F = 0, R_64F = 1, R_16F = 2, R_16BF = 14;
// cublasComputeType_t
const int32_t COMPUTE_32F = 68, COMPUTE_32F_FAST_TF32 = 77, COMPUTE_32F_FAST_16F = 74, COMPUTE_32F_FAST_16BF = 75, COMPUTE_64F = 70;
// cublasOperation_t
const int32_t OP_N = 0, OP_T = 1;

// cublasLtMatmulDescAttributes_t
const int MATMUL_DESC_TRANSA = 3, MATMUL_DESC_TRANSB = 4, MATMUL_DESC_EPILOGUE = 7, MATMUL_DESC_BIAS_POINTER = 8,
          MATMUL_DESC_BIAS_BATCH_STRIDE = 10;
// cublasLtMatrixLayoutAttribute_t
const int MATRIX_LAYOUT_BATCH_COUNT = 5, MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6;
// cublasLtMatmulPreferenceAttributes_t
const int MATMUL_PREF_MAX_WORKSPACE_BYTES = 1, MATMUL_PREF_MIN_ALIGNMENT_A_BYTES = 5, MATMUL_PREF_MIN_ALIGNMENT_B_BYTES = 6,
          MATMUL_PREF_MIN_ALIGNMENT_C_BYTES = 7, MATMUL_PREF_MIN_ALIGNMENT_D_BYTES = 8;
// cublasLtEpilogue_t (a uint32_t attribute)
const uint32_t EPILOGUE_DEFAULT = 1, EPILOGUE_RELU = 2, EPILOGUE_BIAS = 4, EPILOGUE_RELU_BIAS = 6, EPILOGUE_GELU = 32,
               EPILOGUE_GELU_BIAS = 36, EPILOGUE_BGRADB = 512;

// cublasLtMatmulAlgo_t: semi-opaque, copied by value
struct MatmulAlgo { uint64_t data[8]; };

// cublasLtMatmulHeuristicResult_t
struct HeuristicResult {
    MatmulAlgo algo;
    size_t workspaceSize;
    Status state;
    float wavesCount;
    int reserved[4];
};

// Function types, in the real header's parameter order. Enum parameters are int-sized on every ABI we
// build for; the check file asserts that.
typedef Status (*CreateFn)(Handle* handle);
typedef Status (*DestroyFn)(Handle handle);
typedef size_t (*GetVersionFn)();
typedef const char* (*GetStatusStringFn)(Status status);
typedef Status (*MatmulDescCreateFn)(MatmulDesc* desc, int32_t computeType, int32_t scaleType);
typedef Status (*MatmulDescDestroyFn)(MatmulDesc desc);
typedef Status (*MatmulDescSetAttributeFn)(MatmulDesc desc, int attr, const void* buf, size_t size);
typedef Status (*MatrixLayoutCreateFn)(MatrixLayout* layout, int32_t type, uint64_t rows, uint64_t cols, int64_t ld);
typedef Status (*MatrixLayoutDestroyFn)(MatrixLayout layout);
typedef Status (*MatrixLayoutSetAttributeFn)(MatrixLayout layout, int attr, const void* buf, size_t size);
typedef Status (*MatmulPreferenceCreateFn)(MatmulPreference* pref);
typedef Status (*MatmulPreferenceDestroyFn)(MatmulPreference pref);
typedef Status (*MatmulPreferenceSetAttributeFn)(MatmulPreference pref, int attr, const void* buf, size_t size);
typedef Status (*MatmulAlgoGetHeuristicFn)(Handle handle, MatmulDesc desc, MatrixLayout a, MatrixLayout b, MatrixLayout c,
                                           MatrixLayout d, MatmulPreference pref, int requested, HeuristicResult* results,
                                           int* returned);
// the last parameter is a cudaStream_t
typedef Status (*MatmulFn)(Handle handle, MatmulDesc desc, const void* alpha, const void* a, MatrixLayout adesc, const void* b,
                           MatrixLayout bdesc, const void* beta, const void* c, MatrixLayout cdesc, void* d, MatrixLayout ddesc,
                           const MatmulAlgo* algo, void* workspace, size_t workspaceBytes, void* stream);

}  // namespace ecl
