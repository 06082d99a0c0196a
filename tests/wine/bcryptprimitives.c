/* ProcessPrng for Wine 8 (Debian 12), which lacks bcryptprimitives.dll: Rust's standard library
 * on Windows takes its random numbers from it since Rust 1.78, so without it the Windows build
 * of the CLI does not start under that Wine. Windows 10 and later have the real DLL; this one
 * exists only beside the test build (`cargo xtask test` compiles it with MinGW). */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return RtlGenRandom(data, (ULONG)len);
}
