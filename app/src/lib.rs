//! Palimpsest in the browser: a Leptos page ([`ui`]) and a training web
//! worker ([`worker`]) that talk through [`protocol`].

pub mod protocol;
pub mod ui;
pub mod worker;
