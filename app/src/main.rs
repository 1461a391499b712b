//! The page: mounts the Leptos UI.

fn main() {
    leptos::mount::mount_to_body(palimpsest_app::ui::App);
}
