//! How the web view paints on Linux. WebKitGTK composites the page with OpenGL; on a machine
//! without a GPU (a virtual machine, a remote desktop, a CI display) that OpenGL is Mesa's
//! software renderer, through which a frame after a page change took 60–100 ms here, against a
//! few for WebKit's own CPU painter (opening a 50,000-person session: see BENCHMARKS.md). So
//! when the system has no GPU render node, the app turns WebKit's hardware acceleration off;
//! with one, WebKit's default stands. Linux only: Windows and macOS web views are not touched.

use std::path::Path;

/// Turns hardware acceleration off in `window`'s web view when `dri` (the DRM device folder,
/// `/dev/dri`) has no render node, that is, no GPU this process could draw with.
pub(crate) fn fit_to_display(window: &tauri::WebviewWindow, dri: &Path) {
    if has_render_node(dri) {
        return;
    }
    let applied = window.with_webview(|webview| {
        use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
        if let Some(settings) = WebViewExt::settings(&webview.inner()) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
    match applied {
        Ok(()) => tracing::info!(
            dri = %dri.display(),
            "no GPU render node: the window paints without hardware acceleration"
        ),
        // The page still shows, composited by software: slower frames, nothing lost.
        Err(e) => tracing::warn!(error = %e, "could not turn hardware acceleration off"),
    }
}

/// Whether `dri` holds a render node (`renderD128`, …). A missing or unreadable folder has none.
fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

#[cfg(test)]
mod tests {
    use super::has_render_node;

    #[test]
    fn a_render_node_is_a_gpu_and_nothing_else_is() {
        let dri = std::env::temp_dir().join(format!("wd-dri-{}", std::process::id()));
        assert!(
            !has_render_node(&dri),
            "a missing folder has no render node"
        );
        std::fs::create_dir_all(&dri).unwrap();
        assert!(!has_render_node(&dri), "an empty folder has no render node");
        // A card without a render node (display only, as some virtual GPUs) is not enough.
        std::fs::write(dri.join("card0"), "").unwrap();
        assert!(!has_render_node(&dri), "card0 alone is not a render node");
        std::fs::write(dri.join("renderD128"), "").unwrap();
        let found = has_render_node(&dri);
        std::fs::remove_dir_all(&dri).unwrap();
        assert!(found, "renderD128 is a render node");
    }
}
