//! Conversions remembered across runs: the labels, titles and captions a page draws on every
//! rerun are turned into sanitized HTML once, not on every run (the HTML parse of the sanitizer
//! is the costly part). Only short texts are kept, and the memo starts over when it is full.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

/// Texts longer than this are converted every time.
const MAX_SOURCE_BYTES: usize = 1024;
/// Entries per kind; when a kind is full, its entries are dropped and it fills again.
const MAX_ENTRIES: usize = 4096;

/// Which conversion the text went through.
#[derive(Clone, Copy)]
pub enum Kind {
    Block,
    Inline,
    Latex,
}

#[derive(Default)]
struct Memo {
    block: HashMap<Box<str>, Box<str>>,
    inline: HashMap<Box<str>, Box<str>>,
    latex: HashMap<Box<str>, Box<str>>,
}

impl Memo {
    fn of(&mut self, kind: Kind) -> &mut HashMap<Box<str>, Box<str>> {
        match kind {
            Kind::Block => &mut self.block,
            Kind::Inline => &mut self.inline,
            Kind::Latex => &mut self.latex,
        }
    }
}

static MEMO: OnceLock<Mutex<Memo>> = OnceLock::new();

/// The memo holds finished conversions only, so a run that panicked left it whole.
fn lock(memo: &Mutex<Memo>) -> MutexGuard<'_, Memo> {
    memo.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `convert(source)`, from the memo when the same text was converted before. `convert` must
/// depend on the text alone.
pub fn remembered(kind: Kind, source: &str, convert: impl FnOnce(&str) -> String) -> String {
    if source.len() > MAX_SOURCE_BYTES {
        return convert(source);
    }
    let memo = MEMO.get_or_init(Mutex::default);
    if let Some(html) = lock(memo).of(kind).get(source) {
        return html.to_string();
    }
    let html = convert(source);
    let mut memo = lock(memo);
    let entries = memo.of(kind);
    if entries.len() >= MAX_ENTRIES {
        entries.clear();
    }
    entries.insert(source.into(), html.as_str().into());
    html
}

#[cfg(test)]
mod tests {
    use super::{Kind, MAX_SOURCE_BYTES, remembered};

    #[test]
    fn a_text_converted_again_comes_from_the_memo() {
        let mut calls = 0;
        let mut convert = |kind| {
            remembered(kind, "memo test: *again*", |s| {
                calls += 1;
                s.to_uppercase()
            })
        };
        assert_eq!(convert(Kind::Inline), "MEMO TEST: *AGAIN*");
        assert_eq!(convert(Kind::Inline), "MEMO TEST: *AGAIN*");
        assert_eq!(convert(Kind::Block), "MEMO TEST: *AGAIN*", "each kind converts on its own");
        assert_eq!(calls, 2);
    }

    #[test]
    fn a_long_text_is_converted_every_time() {
        let long = "x".repeat(MAX_SOURCE_BYTES + 1);
        let mut calls = 0;
        for _ in 0..2 {
            remembered(Kind::Block, &long, |s| {
                calls += 1;
                s.len().to_string()
            });
        }
        assert_eq!(calls, 2);
    }
}
