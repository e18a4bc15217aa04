// The AMX tile state: Linux hands it out on request only, once per process.
#pragma once
#include <cstdint>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace engine {

// Asks Linux once for the tile data state (ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA); false where it is
// refused or unknown, and the int8 / bf16 products then keep their AVX-512 kernels.
inline bool amx_tile_permission() {
#if defined(__linux__)
    static const bool granted = syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) == 0;
    return granted;
#else
    return false;
#endif
}

// A tile configuration (palette 1): per tile its rows and bytes per row.
struct alignas(64) AmxConfig {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
};

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
// Loads cfg into the tile unit of this thread. asm with cfg as a memory input, not _tile_loadconfig: GCC 12
// does not see that builtin read cfg and may drop the stores that built it (all tiles unconfigured: the
// first tile instruction faults).
inline void amx_load_config(const AmxConfig& cfg) { __asm__ volatile("ldtilecfg %0" : : "m"(cfg)); }
#endif

}  // namespace engine
