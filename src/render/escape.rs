//! Making untrusted text safe and tidy for an SVG.

use std::borrow::Cow;
use std::fmt;

/// Whether `c` is dropped from text that went through [`crate::text::visible`].
///
/// Control characters (XML forbids most of them), the two non-characters XML forbids,
/// and the invisible controls no displayed text keeps (bidi embeddings, overrides and
/// isolates, which could flip the rest of the badge's line; see [`crate::text`]). Tag
/// characters `visible` kept are parts of subdivision flags and stay.
fn dropped(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{FFFE}' | '\u{FFFF}')
        || crate::text::is_hidden_control_but_tag(c)
}

/// Text as it is shown: dropped characters removed, every run of whitespace one space,
/// no space at either end (SVG collapses whitespace, so measurement must too).
pub(crate) fn clean(s: &str) -> Cow<'_, str> {
    match crate::text::visible(s) {
        Cow::Borrowed(s) => tidied(s),
        Cow::Owned(s) => Cow::Owned(tidied(&s).into_owned()),
    }
}

/// `s` with [`dropped`] characters removed and its whitespace collapsed.
fn tidied(s: &str) -> Cow<'_, str> {
    let tidy = !s.starts_with(char::is_whitespace)
        && !s.ends_with(char::is_whitespace)
        && !s.contains("  ")
        && !s
            .chars()
            .any(|c| dropped(c) || (c.is_whitespace() && c != ' '));
    if tidy {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else if !dropped(c) {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Writes its text XML-escaped (all of `& < > " '`), fit for element content and
/// attribute values alike; dropped characters are left out here too, as a second guard.
pub(crate) struct Xml<'a>(pub &'a str);

impl fmt::Display for Xml<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) =
            rest.find(|c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || dropped(c))
        {
            f.write_str(&rest[..i])?;
            let c = rest[i..].chars().next().unwrap_or(' ');
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                _ => {}
            }
            rest = &rest[i + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_all_five() {
        assert_eq!(
            Xml(r#"<a href="x">'&'</a>"#).to_string(),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn cleaning_drops_controls_and_collapses_space() {
        assert_eq!(
            clean("  a\tb\u{0}c\n\n d\u{202E}e\u{1b}[31m  "),
            "a bc de[31m"
        );
        assert!(matches!(clean("SmolVLM-3B"), Cow::Borrowed(_)));
        assert_eq!(clean("\t \u{7}"), "");
    }
}
