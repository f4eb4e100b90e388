//! Setting a name on one line or two, so a long name keeps its rank on the card.
//!
//! A name that fits at full size takes one line. One that does not wraps to two
//! balanced lines at a smaller size before it shrinks any further, and it never gets
//! smaller than the card's secondary text: past that, the second line ends in "…".

use std::sync::Arc;

use super::Renderer;
use super::measure::Shaped;

/// The sizes a name may take, px, and the width it must fit in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TitleSizes {
    /// Size of a name that fits on one line.
    pub one_line: f32,
    /// Size of a name set on two lines, before it shrinks.
    pub two_lines: f32,
    /// Smallest size (the secondary text's).
    pub min: f32,
    /// Width of each line.
    pub width: f32,
}

/// A place a line may break: line one ends at `end`, line two starts at `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Break {
    end: usize,
    start: usize,
}

/// Whether `c` is set without spaces between words and may break between any two
/// characters: Han, kana, Hangul and fullwidth forms.
pub(super) fn wide(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{303F}'
        | '\u{3040}'..='\u{30FF}'
        | '\u{3100}'..='\u{31FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF00}'..='\u{FFEF}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// Whether a line may not start with `c`: closing punctuation and the kana length mark.
fn no_break_before(c: char) -> bool {
    matches!(
        c,
        '、' | '。'
            | '，'
            | '．'
            | '）'
            | '」'
            | '』'
            | '】'
            | '〉'
            | '》'
            | '！'
            | '？'
            | '：'
            | '；'
            | 'ー'
    )
}

/// Every place `text` may break: at a space (which is dropped), after a hyphen, slash
/// or dash inside a word, and between two wide characters.
fn breaks(text: &str) -> Vec<Break> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        if c == ' ' {
            if i > 0 && next.is_some() {
                out.push(Break {
                    end: i,
                    start: i + 1,
                });
            }
        } else if matches!(c, '-' | '/' | '–' | '—')
            && prev.is_some_and(|p| p != ' ')
            && next.is_some_and(|n| n != ' ')
        {
            let after = i + c.len_utf8();
            out.push(Break {
                end: after,
                start: after,
            });
        } else if wide(c) && prev.is_some_and(wide) && !no_break_before(c) {
            out.push(Break { end: i, start: i });
        }
        prev = Some(c);
    }
    out
}

impl Renderer {
    /// `text` (already cleaned) set in bold to fit `sizes`: one line, or two lines of
    /// the same size, never smaller than `sizes.min`.
    pub(crate) fn title(&self, text: &str, sizes: TitleSizes) -> Vec<Arc<Shaped>> {
        let shape = |s: &str, size: f32| self.measurer.shape(&self.opts, s, true, size);
        let one = shape(text, sizes.one_line);
        if one.width <= sizes.width {
            return vec![one];
        }
        let breaks = breaks(text);
        if breaks.is_empty() {
            return vec![self.fit(text, true, sizes.one_line, sizes.min, sizes.width)];
        }
        let split = |b: Break, size: f32| {
            (
                shape(text[..b.end].trim_end(), size),
                shape(text[b.start..].trim_start(), size),
            )
        };

        // The most balanced break: the first where line one is at least as wide as
        // line two, or the one before it. Line one only grows along the breaks and line
        // two only shrinks, so a binary search finds it.
        let size = sizes.two_lines;
        let first_wider = breaks.partition_point(|&b| {
            let (a, z) = split(b, size);
            a.width < z.width
        });
        let widest = |b: Break| {
            let (a, z) = split(b, size);
            a.width.max(z.width)
        };
        let best = [first_wider.checked_sub(1), Some(first_wider)]
            .into_iter()
            .flatten()
            .filter_map(|i| breaks.get(i).copied())
            .min_by(|&a, &b| widest(a).total_cmp(&widest(b)))
            .unwrap_or(breaks[0]);

        // Widths scale with the size, so one division finds the size that fits,
        // rounded down to a quarter pixel to keep cache keys few.
        let needed = widest(best);
        let fitted = if needed <= sizes.width {
            size
        } else {
            ((size * sizes.width / needed) * 4.0).floor() / 4.0
        };
        if fitted >= sizes.min {
            let (a, z) = split(best, fitted);
            if a.width.max(z.width) <= sizes.width {
                return vec![a, z];
            }
        }

        // Too long for two lines even at the smallest size: fill line one, and let
        // line two end in "…".
        let min = sizes.min;
        let fits =
            breaks.partition_point(|&b| shape(text[..b.end].trim_end(), min).width <= sizes.width);
        let b = breaks[fits.saturating_sub(1)];
        let first = self.fit(text[..b.end].trim_end(), true, min, min, sizes.width);
        let second = self.fit(text[b.start..].trim_start(), true, min, min, sizes.width);
        vec![first, second]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The card's name sizes, as the tests below read them.
    const SIZES: TitleSizes = TitleSizes {
        one_line: 19.0,
        two_lines: 15.0,
        min: 12.0,
        width: 228.0,
    };

    fn lines(text: &str) -> Vec<(String, String)> {
        breaks(text)
            .into_iter()
            .map(|b| (text[..b.end].to_owned(), text[b.start..].to_owned()))
            .collect()
    }

    #[test]
    fn breaks_at_spaces_hyphens_and_between_ideographs() {
        assert_eq!(
            lines("Mistral 8x22B-Instruct"),
            [
                ("Mistral".into(), "8x22B-Instruct".into()),
                ("Mistral 8x22B-".into(), "Instruct".into())
            ]
        );
        assert!(lines("SmolVLM").is_empty());
        assert_eq!(lines("a - b").len(), 2, "a lone hyphen is no break");
        assert_eq!(lines("通义千问").len(), 3);
        assert_eq!(lines("数据。分析").len(), 3, "no line starts with 。");
        assert!(
            lines("Claude 3.5 · 通义")
                .iter()
                .any(|(a, b)| a == "Claude 3.5 · 通" && b == "义")
        );
    }

    #[test]
    fn a_short_name_takes_one_line_at_full_size() {
        let r = Renderer::new();
        let sizes = SIZES;
        let t = r.title("SmolVLM-3B", sizes);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].size, 19.0);
    }

    #[test]
    fn a_long_name_wraps_into_balanced_lines_before_it_shrinks() {
        let r = Renderer::new();
        let sizes = SIZES;
        let t = r.title("Mistral 8x22B Instruct v2 Open Source (Apache)", sizes);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].size, t[1].size), (15.0, 15.0));
        assert!(t.iter().all(|l| l.width <= 228.0 && !l.text.ends_with('…')));
        let (a, b) = (t[0].width, t[1].width);
        assert!((a - b).abs() < a.max(b) * 0.5, "balanced: {a} vs {b}");
        let joined = format!("{} {}", t[0].text, t[1].text);
        assert_eq!(joined, "Mistral 8x22B Instruct v2 Open Source (Apache)");
    }

    #[test]
    fn a_very_long_name_stops_at_the_minimum_and_ends_in_an_ellipsis() {
        let r = Renderer::new();
        let sizes = SIZES;
        let long = "An Extraordinarily Long Tool Name That Goes On And On Past Any Sensible Width Whatsoever At All";
        let t = r.title(long, sizes);
        assert_eq!(t.len(), 2);
        assert!(t.iter().all(|l| l.size == 12.0 && l.width <= 228.0));
        assert!(!t[0].text.ends_with('…') && t[1].text.ends_with('…'));
        // One unbreakable word shrinks on one line instead, down to the minimum.
        let t = r.title(&"W".repeat(40), sizes);
        assert_eq!(t.len(), 1);
        assert!(t[0].size >= 12.0 && t[0].width <= 228.0);
    }
}
