// Hides the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// mimalloc: a large session's recompute allocates a few hundred thousand short strings, and
// glibc's allocator was a fifth of its time (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    webinar_desk_shell::run(webinar_desk_shell::Launch::from_args(
        std::env::args().skip(1),
    ));
}
