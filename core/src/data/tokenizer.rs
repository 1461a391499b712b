//! Word-level tokenizer with feature hashing.
//!
//! Hashing instead of a learnt vocabulary means a class or caption added later
//! (an upload in the browser, a new task) never needs the embedding table to
//! grow, and the same text gives the same ids natively and in wasm.

/// Padding id (masked out of attention).
pub const PAD: u32 = 0;
/// Unknown / masked word id (the caption noise masks words with it).
pub const MASK: u32 = 1;
/// Classification token, always at position 0.
pub const CLS: u32 = 2;
const RESERVED: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tokenizer {
    /// Size of the id space, reserved ids included.
    pub vocab: u32,
    /// Length of every encoded sequence, `[CLS]` included.
    pub max_len: usize,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer {
            vocab: 2048,
            max_len: 17,
        }
    }
}

/// Lower-cased alphanumeric words of `text`; everything else separates words.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// FNV-1a, 32 bit: small, stable across platforms and releases.
fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

impl Tokenizer {
    /// Id of one (already normalised) word.
    pub fn word_id(&self, word: &str) -> u32 {
        RESERVED + fnv1a(word.as_bytes()) % (self.vocab - RESERVED)
    }

    /// `[CLS] w1 w2 … PAD PAD`, truncated to `max_len`. Returns ids and the
    /// number of real positions (`[CLS]` included).
    pub fn encode(&self, text: &str) -> (Vec<u32>, usize) {
        let mut ids = Vec::with_capacity(self.max_len);
        ids.push(CLS);
        let tokens = text.split_whitespace().flat_map(|chunk| {
            if chunk.eq_ignore_ascii_case("[mask]") {
                vec![MASK]
            } else {
                words(chunk).iter().map(|w| self.word_id(w)).collect()
            }
        });
        ids.extend(tokens.take(self.max_len.saturating_sub(1)));
        let len = ids.len();
        ids.resize(self.max_len, PAD);
        (ids, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_text_is_only_cls() {
        let t = Tokenizer::default();
        let (ids, len) = t.encode("");
        assert_eq!(len, 1);
        assert_eq!(ids[0], CLS);
        assert!(ids[1..].iter().all(|&i| i == PAD));
        assert_eq!(ids.len(), t.max_len);
    }

    #[test]
    fn punctuation_only_and_control_chars_give_no_words() {
        let t = Tokenizer::default();
        assert_eq!(t.encode("!!! ,,, \u{0} \t\n --").1, 1);
    }

    #[test]
    fn long_text_is_truncated_to_max_len() {
        let t = Tokenizer::default();
        let text = "word ".repeat(1000);
        let (ids, len) = t.encode(&text);
        assert_eq!(ids.len(), t.max_len);
        assert_eq!(len, t.max_len);
    }

    #[test]
    fn case_and_punctuation_do_not_change_ids() {
        let t = Tokenizer::default();
        assert_eq!(t.encode("Red apple!").0, t.encode("red, APPLE").0);
    }

    #[test]
    fn ids_stay_in_range_for_arbitrary_unicode() {
        let t = Tokenizer::default();
        let (ids, _) = t.encode("🦊 fox Fuchs 狐狸 лиса \u{FFFD} é");
        assert!(ids.iter().all(|&i| i < t.vocab));
        // words of other scripts are words too
        assert!(t.encode("狐狸 лиса").1 == 3);
    }

    #[test]
    fn mask_marker_maps_to_mask_id() {
        let t = Tokenizer::default();
        let (ids, len) = t.encode("a [mask] fox");
        assert_eq!(len, 4);
        assert_eq!(ids[2], MASK);
        assert_ne!(ids[1], MASK);
    }

    #[test]
    fn hashing_is_stable() {
        // Pinned so that a change of hash (which would silently change every
        // run record) fails here.
        let t = Tokenizer::default();
        assert_eq!(t.word_id("fox"), 3 + fnv1a(b"fox") % 2045);
        assert_eq!(fnv1a(b"a"), 0xe40c292c);
    }
}
