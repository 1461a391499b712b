//! The pretraining pool: OpenMoji images from subgroups that no default
//! stream uses, for pretraining the encoders (issue 21, step 2).
//!
//! `data/pretrain/openmoji-pool-32.pack` is built by
//! `python3 tools/build_pack.py --pool` in the bundled pack's format (see
//! [`super::pack`]) and licensed CC BY-SA 4.0 (see
//! `data/pretrain/OPENMOJI-LICENSE.md`). Unlike the bundled pack it is *not*
//! compiled into the crate: the app's page and worker link `core`, and the
//! pool must not ship in the app. Native code reads it from disk at run time.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::entity::{EntityOptions, entity_scenario};
use super::pack::{Pack, PackError, bundled};
use super::scenario::Scenario;

/// The pool's path relative to the repository root.
pub const POOL_FILE: &str = "data/pretrain/openmoji-pool-32.pack";

/// Why the pretraining pool could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error(
        "cannot read the pretraining pool {}: {source} (build it with `python3 tools/build_pack.py --pool`)",
        path.display()
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a valid pretraining pool: {source}", path.display())]
    Invalid { path: PathBuf, source: PackError },
    #[error(
        "{} overlaps the default streams: {what} (a pretraining pool must hold no stream class)",
        path.display()
    )]
    Overlap { path: PathBuf, what: String },
}

/// Where the pool lies in this source tree: `<repo>/data/pretrain/…`, found
/// from `core`'s manifest directory (for tests and runs from a checkout).
pub fn pool_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(POOL_FILE)
}

/// The pool at [`pool_path`].
pub fn pretrain_pool() -> Result<Pack, PoolError> {
    pretrain_pool_at(&pool_path())
}

/// Reads and decodes the pool at `path`, and checks that it shares no
/// subgroup and no hexcode with the bundled pack (the default streams'
/// classes and items), so that pretraining never sees a stream class.
pub fn pretrain_pool_at(path: &Path) -> Result<Pack, PoolError> {
    let bytes = std::fs::read(path).map_err(|source| PoolError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let pack = Pack::decode(&bytes).map_err(|source| PoolError::Invalid {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(what) = overlap(&pack, bundled()) {
        return Err(PoolError::Overlap {
            path: path.to_path_buf(),
            what,
        });
    }
    Ok(pack)
}

/// The pretraining stream: one task whose classes are every subgroup of
/// `pool`, with the entity scenario's captions and augmentation.
pub fn pretrain_scenario(pool: &Pack, seed: u64, opts: &EntityOptions) -> Scenario {
    let mut one = pool.clone();
    one.tasks = vec![pool.tasks.iter().flatten().cloned().collect()];
    let mut s = entity_scenario(&one, seed, opts);
    s.name = "pretrain-pool".into();
    s
}

/// The first subgroup or hexcode that `pool` shares with `streams`, if any.
fn overlap(pool: &Pack, streams: &Pack) -> Option<String> {
    let classes: HashSet<&str> = streams
        .items
        .iter()
        .map(|it| it.subgroup.as_str())
        .chain(streams.tasks.iter().flatten().map(String::as_str))
        .collect();
    let hexcodes: HashSet<&str> = streams.items.iter().map(|it| it.hexcode.as_str()).collect();
    pool.items.iter().find_map(|it| {
        if classes.contains(it.subgroup.as_str()) {
            Some(format!("subgroup {:?} is a stream class", it.subgroup))
        } else if hexcodes.contains(it.hexcode.as_str()) {
            Some(format!("item {} is in the bundled pack", it.hexcode))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn pool() -> Pack {
        pretrain_pool().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn pool_loads_with_licence_and_size() {
        let pool = pool();
        assert_eq!(pool.image_size, 32);
        assert!(pool.source.starts_with("openmoji "), "{}", pool.source);
        assert_eq!(pool.licence, "CC BY-SA 4.0");
        assert_eq!(
            pool.attribution,
            "OpenMoji – the open-source emoji and icon project. License: CC BY-SA 4.0"
        );
        assert_eq!(pool.pixels.len(), pool.len() * pool.image_len());
    }

    #[test]
    fn pool_has_a_thousand_images_over_twenty_subgroups() {
        let pool = pool();
        let mut per: BTreeMap<&str, usize> = BTreeMap::new();
        for it in &pool.items {
            *per.entry(it.subgroup.as_str()).or_default() += 1;
        }
        assert!(pool.len() >= 1000, "{} images", pool.len());
        assert!(per.len() >= 20, "{} subgroups", per.len());
        // The build's floor and caps: no class too small to learn, none that
        // dominates.
        for (sub, &n) in &per {
            assert!((8..=40).contains(&n), "subgroup {sub} has {n} images");
        }
        // Every subgroup is a class of exactly one task.
        let in_tasks: Vec<&str> = pool.tasks.iter().flatten().map(String::as_str).collect();
        assert_eq!(in_tasks.len(), per.len());
        assert!(in_tasks.iter().all(|s| per.contains_key(s)));
    }

    #[test]
    fn pool_holds_no_stream_class_and_no_stream_item() {
        let pool = pool();
        let streams = bundled();
        let stream_classes: HashSet<&str> = streams
            .items
            .iter()
            .map(|it| it.subgroup.as_str())
            .chain(streams.tasks.iter().flatten().map(String::as_str))
            .collect();
        assert_eq!(stream_classes.len(), 20);
        for it in &pool.items {
            assert!(
                !stream_classes.contains(it.subgroup.as_str()),
                "{} {:?}: subgroup {} is a stream class",
                it.hexcode,
                it.annotation,
                it.subgroup
            );
        }
        let stream_hex: HashSet<&str> =
            streams.items.iter().map(|it| it.hexcode.as_str()).collect();
        let pool_hex: HashSet<&str> = pool.items.iter().map(|it| it.hexcode.as_str()).collect();
        assert_eq!(pool_hex.len(), pool.len(), "duplicate hexcodes in the pool");
        let shared: Vec<_> = pool_hex.intersection(&stream_hex).collect();
        assert!(shared.is_empty(), "in both packs: {shared:?}");
        assert_eq!(overlap(&pool, streams), None);
    }

    #[test]
    fn every_pool_item_has_an_annotation_and_an_image() {
        let pool = pool();
        for (i, it) in pool.items.iter().enumerate() {
            assert!(
                !it.annotation.trim().is_empty(),
                "{} has no annotation",
                it.hexcode
            );
            assert!(!it.subgroup.is_empty() && !it.group.is_empty());
            // Not a blank (all-white) image: the SVG rendered.
            assert!(
                pool.image(i).iter().any(|&b| b < 200),
                "{} is blank",
                it.hexcode
            );
        }
    }

    #[test]
    fn pool_is_sorted_as_the_bundled_pack() {
        let pool = pool();
        let keys: Vec<_> = pool
            .items
            .iter()
            .map(|it| (it.subgroup.as_str(), it.hexcode.as_str()))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }

    /// A fresh, empty temporary directory for file tests.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("palimpsest-pool-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn missing_truncated_foreign_and_overlapping_files_are_clear_errors() {
        let dir = scratch_dir("errors");

        let missing = dir.join("nope.pack");
        let err = pretrain_pool_at(&missing).unwrap_err();
        assert!(matches!(err, PoolError::Read { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("nope.pack") && msg.contains("build_pack.py --pool"),
            "{msg}"
        );

        let bytes = std::fs::read(pool_path()).unwrap();
        let truncated = dir.join("truncated.pack");
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
        let err = pretrain_pool_at(&truncated).unwrap_err();
        assert!(
            matches!(
                err,
                PoolError::Invalid {
                    source: PackError::Checksum { .. },
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("truncated.pack"), "{err}");

        let foreign = dir.join("foreign.pack");
        std::fs::write(&foreign, b"%PDF-1.7 not a pack at all").unwrap();
        let err = pretrain_pool_at(&foreign).unwrap_err();
        assert!(
            matches!(
                err,
                PoolError::Invalid {
                    source: PackError::BadMagic,
                    ..
                }
            ),
            "{err}"
        );

        // The bundled pack is a valid pack but the very stream classes.
        let streams = dir.join("streams.pack");
        let bundled_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/openmoji-32.pack");
        std::fs::copy(bundled_path, &streams).unwrap();
        let err = pretrain_pool_at(&streams).unwrap_err();
        assert!(matches!(err, PoolError::Overlap { .. }), "{err}");

        std::fs::remove_dir_all(&dir).unwrap();
    }
}
