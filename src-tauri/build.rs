//! Build script: with the `gui` feature, Tauri's build step (capabilities, context, icons).

fn main() {
    #[cfg(feature = "gui")]
    tauri_build::build();
}
