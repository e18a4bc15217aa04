// cuBLASLt behind our GEMM: opened with dlopen at run time (no link-time dependency), used by gemm_launch
// for the products it can do. See cublaslt.cu.
#pragma once
#include "gemm.cuh"
#include <string>

namespace ecu {

// GEMM implementation switch (dev.engine.cuda.GemmImplementation ordinals)
enum GemmMode { GEMM_AUTO = 0, GEMM_CUBLASLT = 1, GEMM_OWN = 2 };
int gemm_mode();

bool lt_loaded();

struct Context;
// Makes the context's cuBLASLt handle and workspace when the library is loaded (its device current); a
// failure is kept and given as the reason each GEMM of that context falls back.
void lt_context_prepare(Context& c);
// Why cuBLASLt is not loaded ("" when it is).
std::string lt_unavailable_reason();

// Queues the product through cuBLASLt with the bound context's handle and plans. Returns 0 when queued, a
// cudaError_t, or LT_DECLINED with the reason in *why when cuBLASLt has no algorithm for this call (the caller
// then runs our kernel or reports it).
const int LT_DECLINED = -2;
int lt_gemm(int dtype, const GemmArgs& g, i64 batch, std::string* why);

// Counts a product that fell back from cuBLASLt to our kernel, keeping the reason of the latest one.
void note_fallback(const std::string& why);

}  // namespace ecu
