// The ABI's own entry points, as plain C++ functions JavaCPP binds in each backend's library
// (dev.engine.cpu.CpuNative, dev.engine.cuda.CudaNative): the table and the per-thread failure message.
#pragma once
#include "abi.h"

// Writes the ABI table (room for engine_abi::ABI_TABLE_CAPACITY int64s at out); returns its length.
inline int engine_abi_table(long long out) {
    return engine_abi::abi_table(reinterpret_cast<engine_abi::i64*>(static_cast<uintptr_t>(out)));
}

// The message of this thread's last failed entry point (the status convention of abi.h).
inline const char* engine_last_error() { return engine_abi::last_error_buffer(); }
