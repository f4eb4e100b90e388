//! Badge colours for each theme, by the role each colour plays.
//!
//! Drawing code names a role ([`Ink`]), never a colour, so one drawing serves the light
//! theme, the dark theme, and `theme=auto`, where the SVG carries the light colours in
//! its attributes and the dark ones in a `prefers-color-scheme: dark` style rule.
//!
//! Every text colour reaches WCAG AA (4.5:1) against the background it sits on, and a
//! Ship stamp (solid, dark) and a Skip stamp (outlined, light) differ in luminance by
//! more than 3:1, so they differ for readers who cannot tell green from red; the tests
//! below compute both.

use super::Theme;

/// What a colour is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub(crate) enum Ink {
    /// Card background.
    CardBg,
    /// Card border.
    CardBorder,
    /// The tool's name.
    Name,
    /// Secondary text: the tally line.
    Muted,
    /// The brand: the wordmark, the mark's tile (its boat is cut out in the card's
    /// colour) and the small capitals above the name ("EXPERT PANEL VERDICT").
    Brand,
    /// A Ship stamp's solid fill.
    Ship,
    /// Text and the ✓'s disc on a Ship stamp.
    OnShip,
    /// A Skip stamp's pale fill.
    SkipBg,
    /// A Skip stamp's outline, text and ✗.
    Skip,
    /// An error stamp's fill.
    Neutral,
    /// Text on an error stamp.
    OnNeutral,
    /// The compact badge's brand part.
    LabelBg,
    /// Text and mark on the compact badge's brand part.
    OnLabel,
    /// The compact badge's outer edge (only the dark theme draws one).
    Edge,
}

impl Ink {
    /// Every role, in declaration order.
    pub(crate) const ALL: [Ink; 14] = [
        Ink::CardBg,
        Ink::CardBorder,
        Ink::Name,
        Ink::Muted,
        Ink::Brand,
        Ink::Ship,
        Ink::OnShip,
        Ink::SkipBg,
        Ink::Skip,
        Ink::Neutral,
        Ink::OnNeutral,
        Ink::LabelBg,
        Ink::OnLabel,
        Ink::Edge,
    ];

    /// A small index, for class names and bit sets.
    pub(crate) fn index(self) -> u8 {
        self as u8
    }
}

/// The colours of one theme: `#rrggbb`, or `none` where a theme draws nothing.
pub(crate) struct Palette {
    card_bg: &'static str,
    card_border: &'static str,
    name: &'static str,
    muted: &'static str,
    brand: &'static str,
    ship: &'static str,
    on_ship: &'static str,
    skip_bg: &'static str,
    skip: &'static str,
    neutral: &'static str,
    on_neutral: &'static str,
    label_bg: &'static str,
    on_label: &'static str,
    edge: &'static str,
}

/// The brand's violet: distinct from link blue and from both verdict colours.
const LIGHT: Palette = Palette {
    card_bg: "#ffffff",
    card_border: "#d0d7de",
    name: "#1f2328",
    muted: "#57606a",
    brand: "#5b32c8",
    ship: "#1a7f37",
    on_ship: "#ffffff",
    skip_bg: "#fff1f0",
    skip: "#c8232c",
    neutral: "#57606a",
    on_neutral: "#ffffff",
    label_bg: "#5b32c8",
    on_label: "#ffffff",
    edge: "none",
};

const DARK: Palette = Palette {
    card_bg: "#161b22",
    card_border: "#3d444d",
    name: "#f0f6fc",
    muted: "#9ea7b3",
    brand: "#c4b5fd",
    ship: "#238636",
    on_ship: "#ffffff",
    skip_bg: "#2d1517",
    skip: "#ff7b72",
    neutral: "#6e7681",
    on_neutral: "#ffffff",
    label_bg: "#0d1117",
    on_label: "#c4b5fd",
    edge: "#3d444d",
};

impl Palette {
    /// The palette of `theme`; `auto` draws with the light palette (its dark colours
    /// come from a style rule, see [`Palette::dark`]).
    pub(crate) fn of(theme: Theme) -> &'static Palette {
        match theme {
            Theme::Light | Theme::Auto => &LIGHT,
            Theme::Dark => &DARK,
        }
    }

    /// The dark palette, for the `prefers-color-scheme: dark` rule of `theme=auto`.
    pub(crate) fn dark() -> &'static Palette {
        &DARK
    }

    /// The colour of `ink`.
    pub(crate) fn ink(&self, ink: Ink) -> &'static str {
        match ink {
            Ink::CardBg => self.card_bg,
            Ink::CardBorder => self.card_border,
            Ink::Name => self.name,
            Ink::Muted => self.muted,
            Ink::Brand => self.brand,
            Ink::Ship => self.ship,
            Ink::OnShip => self.on_ship,
            Ink::SkipBg => self.skip_bg,
            Ink::Skip => self.skip,
            Ink::Neutral => self.neutral,
            Ink::OnNeutral => self.on_neutral,
            Ink::LabelBg => self.label_bg,
            Ink::OnLabel => self.on_label,
            Ink::Edge => self.edge,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Relative luminance of a `#rrggbb` colour, per WCAG 2.x.
    pub(crate) fn luminance(hex: &str) -> f64 {
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

    pub(crate) fn contrast(a: &str, b: &str) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn every_text_colour_reaches_aa_on_its_background() {
        for theme in [Theme::Light, Theme::Dark] {
            let p = Palette::of(theme);
            let pairs = [
                ("name", Ink::Name, Ink::CardBg),
                ("muted", Ink::Muted, Ink::CardBg),
                ("brand", Ink::Brand, Ink::CardBg),
                ("ship stamp", Ink::OnShip, Ink::Ship),
                ("skip stamp", Ink::Skip, Ink::SkipBg),
                ("skip stamp on the card", Ink::Skip, Ink::CardBg),
                ("error stamp", Ink::OnNeutral, Ink::Neutral),
                ("compact label", Ink::OnLabel, Ink::LabelBg),
            ];
            for (what, fg, bg) in pairs {
                let (fg, bg) = (p.ink(fg), p.ink(bg));
                let ratio = contrast(fg, bg);
                assert!(
                    ratio >= 4.5,
                    "{theme:?} {what}: {fg} on {bg} is {ratio:.2}:1"
                );
            }
            // The boat cut out of its tile is a graphic: 3:1 (WCAG 1.4.11).
            assert!(contrast(p.ink(Ink::CardBg), p.ink(Ink::Brand)) >= 3.0);
        }
    }

    #[test]
    fn ship_and_skip_stamps_differ_in_luminance_not_only_hue() {
        for theme in [Theme::Light, Theme::Dark] {
            let p = Palette::of(theme);
            let ratio = contrast(p.ink(Ink::Ship), p.ink(Ink::SkipBg));
            assert!(ratio >= 3.0, "{theme:?}: stamps differ by {ratio:.2}:1");
        }
    }

    #[test]
    fn every_colour_is_hex_or_none() {
        for p in [&LIGHT, &DARK] {
            for ink in Ink::ALL {
                let c = p.ink(ink);
                let hex = c.len() == 7
                    && c.starts_with('#')
                    && c[1..].bytes().all(|b| b.is_ascii_hexdigit());
                assert!(hex || (c == "none" && ink == Ink::Edge), "{ink:?}: {c}");
            }
        }
        for (i, ink) in Ink::ALL.iter().enumerate() {
            assert_eq!(usize::from(ink.index()), i);
        }
    }

    #[test]
    fn contrast_formula_matches_known_values() {
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
        assert!((contrast("#777777", "#ffffff") - 4.48).abs() < 0.01);
    }
}
