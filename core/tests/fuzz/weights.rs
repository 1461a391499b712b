//! The pretrained-weights file: decoding mutated copies of the shipped one.

use palimpsest_core::model::ModelConfig;
use palimpsest_core::model::pretrained::{Shape, bundled_weights, decode, load};
use palimpsest_core::run::{Backend, device_for};
use proptest::prelude::*;

use crate::{Mutation, check, fuzz, mutate, mutation};

/// Where a mutation lands: anywhere, or past the fixed-size prefix and with
/// the checksum written anew, so that the header and tensors are read.
#[derive(Debug, Clone)]
struct Case {
    mutations: Vec<Mutation>,
    fix_checksum: bool,
}

#[test]
fn pretrained_weights() {
    let case = (
        prop::collection::vec(mutation(), 1..4),
        prop::bool::weighted(0.7),
    )
        .prop_map(|(mutations, fix_checksum)| Case {
            mutations,
            fix_checksum,
        });
    let device = device_for(Backend::Cpu).unwrap();
    let original = bundled_weights();
    fuzz("pretrained_weights", 200, case, |case| {
        let mut bytes = mutate(original.to_vec(), &case.mutations);
        if case.fix_checksum && bytes.len() >= 20 {
            let end = bytes.len() - 4;
            let crc = crc32(&bytes[..end]);
            bytes[end..].copy_from_slice(&crc.to_le_bytes());
        }
        let (header, tensors) = match decode(&bytes) {
            Ok(d) => d,
            Err(e) => {
                check!(!e.to_string().is_empty(), "an empty error");
                check!(bytes != original, "the shipped weights are refused: {e}");
                return Ok(());
            }
        };
        let config = ModelConfig::default();
        if header.shape != Shape::of(&config) {
            return Ok(());
        }
        match load(&config, tensors, &device) {
            Ok(model) => check!(
                model.classes() == 0,
                "a model with {} classes",
                model.classes()
            ),
            Err(e) => check!(!e.to_string().is_empty(), "an empty error"),
        }
        Ok(())
    });
}

/// CRC-32 (IEEE), as the weights file's trailer holds it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
