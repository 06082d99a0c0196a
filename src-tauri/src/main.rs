// Hides the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    webinar_desk_shell::run(webinar_desk_shell::Launch::from_args(
        std::env::args().skip(1),
    ));
}
