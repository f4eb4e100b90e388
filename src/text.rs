//! Text that reaches a reader's screen: no invisible controls that change what it says.
//!
//! Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) reorder the
//! text around them, so that a name can read as something else ("Trojan Source");
//! deprecated format controls (U+206A–U+206F), interlinear annotations (U+FFF9–U+FFFB)
//! and tag characters (U+E0000–U+E007F) hide text from the reader while keeping it in
//! the page, and C0/C1 controls are not text at all. They are dropped from everything
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

/// `text` without hidden controls (borrowed when it has none).
pub fn visible(text: &str) -> Cow<'_, str> {
    if text.contains(is_hidden_control) {
        Cow::Owned(text.chars().filter(|c| !is_hidden_control(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// The HTML escaper of every template: askama's own, after dropping hidden controls.
#[derive(Clone, Copy, Debug, Default)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: Write>(&self, mut dest: W, string: &str) -> fmt::Result {
        for piece in string.split(is_hidden_control) {
            askama::filters::Html.write_escaped_str(&mut dest, piece)?;
        }
        Ok(())
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
