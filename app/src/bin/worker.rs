//! The training web worker (loaded by the page through Trunk's loader shim).

fn main() {
    palimpsest_app::worker::start();
}
