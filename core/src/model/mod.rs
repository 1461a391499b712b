//! The dual-stream transformer: image patches and caption tokens, each through
//! its own encoder; the top layers of both may attend through MSPT's shared
//! learnable keys (MI); a fused expandable classifier on the two [CLS] tokens.

#[cfg(feature = "train")]
pub mod attention;
#[cfg(feature = "train")]
pub mod batch;
#[cfg(feature = "train")]
pub mod check;
#[cfg(feature = "train")]
pub mod classifier;
pub mod config;
#[cfg(feature = "train")]
pub mod encoder;
#[cfg(feature = "train")]
pub mod fusion;
#[cfg(feature = "train")]
pub mod init;
#[cfg(feature = "train")]
mod network;
#[cfg(feature = "train")]
pub mod pretrained;

#[cfg(feature = "train")]
pub use batch::{Batch, ModalityInput};
#[cfg(feature = "train")]
pub use classifier::{Classifier, Logits};
pub use config::{EncoderConfig, EncoderInit, ModelConfig};
#[cfg(feature = "train")]
pub use encoder::{Embed, Encoded, Encoder};
#[cfg(feature = "train")]
pub use network::{ForwardOutput, Model};
