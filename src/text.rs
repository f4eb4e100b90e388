//! Text that reaches a reader's screen: no invisible controls that change what it says.
//!
//! Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder the
//! text around them, so that a name can read as something else ("Trojan Source");
//! deprecated format controls (U+206A–U+206F), interlinear annotations (U+FFF9–U+FFFB)
//! and tag characters (U+E0000–U+E007F) hide text from the reader while keeping it in
//! the page, and C0/C1 controls are not text at all. Tag characters have one visible
//! use, the emoji flags of subdivisions (🏴 followed by tags spelling `gbsct` and a
//! cancel tag is Scotland's flag): those sequences stay whole. They are dropped from everything
//! displayed: SVG and PNG badges (`render::escape`), every HTML page (the askama
//! escaper [`Html`], configured for all templates in `askama.toml`) and embed code.
//! Marks that only steer neighbouring characters (LRM, RLM, ALM) and joiners (ZWJ,
//! ZWNJ, which emoji and many scripts need) stay.

use std::borrow::Cow;
use std::fmt::{self, Write};

/// Whether `c` is dropped from displayed text.
pub fn is_hidden_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{206A}'..='\u{206F}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// The waving black flag that starts an emoji tag sequence.
const BLACK_FLAG: char = '\u{1F3F4}';
/// The tag characters a sequence spells with, and the cancel tag that ends it.
const TAG_LETTERS: std::ops::RangeInclusive<char> = '\u{E0020}'..='\u{E007E}';
const CANCEL_TAG: char = '\u{E007F}';

/// Whether `c` is a tag character.
fn is_tag(c: char) -> bool {
    ('\u{E0000}'..='\u{E007F}').contains(&c)
}

/// The length in bytes of the tag letters and cancel tag that follow a black flag at
/// the start of `rest`, when they make a complete emoji tag sequence.
fn tag_sequence_after(rest: &str) -> Option<usize> {
    let letters = rest
        .char_indices()
        .find(|(_, c)| !TAG_LETTERS.contains(c))
        .map_or(rest.len(), |(i, _)| i);
    (letters > 0 && rest[letters..].starts_with(CANCEL_TAG))
        .then(|| letters + CANCEL_TAG.len_utf8())
}

/// `text` without hidden controls (borrowed when it has none). Emoji tag sequences
/// (subdivision flags) stay; every other tag character goes.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.contains(is_hidden_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        if c == BLACK_FLAG
            && let Some(len) = tag_sequence_after(rest)
        {
            out.push(c);
            out.push_str(&rest[..len]);
            rest = &rest[len..];
        } else if !is_hidden_control(c) {
            out.push(c);
        }
    }
    if out.len() == text.len() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

/// Whether `c` is dropped from text that already went through [`visible`]: the hidden
/// controls, except the tag characters `visible` kept as parts of flags.
pub fn is_hidden_control_but_tag(c: char) -> bool {
    is_hidden_control(c) && !is_tag(c)
}

/// The HTML escaper of every template: askama's own, after dropping hidden controls.
#[derive(Clone, Copy, Debug, Default)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: Write>(&self, dest: W, string: &str) -> fmt::Result {
        askama::filters::Html.write_escaped_str(dest, &visible(string))
    }

    fn write_escaped_char<W: Write>(&self, dest: W, c: char) -> fmt::Result {
        if is_hidden_control(c) {
            return Ok(());
        }
        askama::filters::Html.write_escaped_char(dest, c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_controls_are_dropped_and_joiners_kept() {
        assert_eq!(visible("a\u{202E}b\u{2066}c\u{E0041}d\u{7}e"), "abcde");
        // A subdivision flag keeps its tags; tags outside such a sequence go.
        let scotland = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";
        assert_eq!(
            visible(&format!("go {scotland}!")),
            format!("go {scotland}!")
        );
        assert_eq!(visible("\u{1F3F4}\u{E0067}\u{E0062}x"), "\u{1F3F4}x");
        assert_eq!(visible("\u{1F3F4}\u{E007F}"), "\u{1F3F4}");
        assert_eq!(visible("line\nbreak\ttab"), "line\nbreak\ttab");
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(visible(family), family);
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_template_escaper_escapes_and_drops() {
        let escaped = askama::filters::escape("<b>\u{202E}\"x\"&</b>", Html)
            .unwrap()
            .to_string();
        assert_eq!(escaped, "&#60;b&#62;&#34;x&#34;&#38;&#60;/b&#62;");
    }
}
