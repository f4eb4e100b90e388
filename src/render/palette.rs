//! Badge colours for each theme.
//!
//! Every text colour is chosen to reach WCAG AA (4.5:1) against the background it sits
//! on; the tests below compute it.

use super::Theme;

/// The colours of one theme.
pub(crate) struct Palette {
    /// Card background.
    pub card_bg: &'static str,
    /// Card border.
    pub card_border: &'static str,
    /// Tool name on the card.
    pub name: &'static str,
    /// Secondary card text (the tally line).
    pub muted: &'static str,
    /// The brand line on the card.
    pub brand: &'static str,
    /// Stamp and compact value background for Ship.
    pub ship: &'static str,
    /// Stamp and compact value background for Skip.
    pub skip: &'static str,
    /// Stamp and compact value background for an error.
    pub neutral: &'static str,
    /// Text on a stamp or on a compact badge.
    pub on_fill: &'static str,
    /// Compact badge label (left part) background.
    pub label_bg: &'static str,
}

const LIGHT: Palette = Palette {
    card_bg: "#ffffff",
    card_border: "#d0d7de",
    name: "#1f2328",
    muted: "#57606a",
    brand: "#0b5cad",
    ship: "#1a7f37",
    skip: "#c8232c",
    neutral: "#57606a",
    on_fill: "#ffffff",
    label_bg: "#3d444d",
};

const DARK: Palette = Palette {
    card_bg: "#161b22",
    card_border: "#30363d",
    name: "#f0f6fc",
    muted: "#9ea7b3",
    brand: "#6cb6ff",
    ship: "#1a7f37",
    skip: "#c8232c",
    neutral: "#57606a",
    on_fill: "#ffffff",
    label_bg: "#2d333b",
};

impl Palette {
    /// The palette of `theme`.
    pub(crate) fn of(theme: Theme) -> &'static Palette {
        match theme {
            Theme::Light => &LIGHT,
            Theme::Dark => &DARK,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative luminance of a `#rrggbb` colour, per WCAG 2.x.
    fn luminance(hex: &str) -> f64 {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex colour")) / 255.0;
            if v <= 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn every_text_colour_reaches_aa_on_its_background() {
        for theme in [Theme::Light, Theme::Dark] {
            let p = Palette::of(theme);
            let pairs = [
                ("name", p.name, p.card_bg),
                ("muted", p.muted, p.card_bg),
                ("brand", p.brand, p.card_bg),
                ("stamp ship", p.on_fill, p.ship),
                ("stamp skip", p.on_fill, p.skip),
                ("stamp error", p.on_fill, p.neutral),
                ("compact label", p.on_fill, p.label_bg),
            ];
            for (what, fg, bg) in pairs {
                let ratio = contrast(fg, bg);
                assert!(
                    ratio >= 4.5,
                    "{theme:?} {what}: {fg} on {bg} is {ratio:.2}:1"
                );
            }
        }
    }

    #[test]
    fn contrast_formula_matches_known_values() {
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
        assert!((contrast("#777777", "#ffffff") - 4.48).abs() < 0.01);
    }
}
