#!/usr/bin/env python3
"""Regenerates the bundled Noto subsets in this folder from Debian's Noto packages.

The badges draw a tool's name in whatever script it comes in, so the renderer carries a
fallback font for every script DejaVu Sans lacks. Full Noto fonts are ~65 MB; these
subsets keep what names need (see README.md beside this script for the coverage of each
file) in a few megabytes.

Requirements (Debian 12):

    apt-get install -y fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
    pip install fonttools pillow

Run from anywhere:

    python3 fonts/subset.py

The output is deterministic for the same inputs and library versions; the versions used
for the committed files are printed at the end and recorded in README.md.
"""

import io
import os
import sys

import fontTools
import PIL
from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
NOTO = "/usr/share/fonts/truetype/noto"
NOTO_CJK = "/usr/share/fonts/opentype/noto"

# Shaping needs these whatever the script: joiners, the dotted circle that shapers insert
# before a stray combining mark, and the no-break space.
SHAPING = [0x200C, 0x200D, 0x25CC, 0x00A0]

# OpenType features the renderer's shaper (harfrust, as usvg configures it) applies by
# default, plus each script's own shaping features. Everything else (alternates, vertical
# forms, width variants, locale variants) is dropped: nothing asks for it.
COMMON_FEATURES = ["ccmp", "liga", "clig", "calt", "rlig", "kern", "mark", "mkmk", "rclt"]
ARABIC_FEATURES = ["init", "medi", "fina", "isol", "med2", "fin2", "fin3", "curs", "stch"]
INDIC_FEATURES = [
    "nukt", "akhn", "rphf", "rkrf", "pref", "blwf", "abvf", "half", "pstf", "vatu",
    "cjct", "pres", "abvs", "blws", "psts", "haln", "dist", "abvm", "blwm",
]


def blocks(*ranges):
    """Code points of the given inclusive (first, last) ranges."""
    return [cp for first, last in ranges for cp in range(first, last + 1)]


def double_byte(codec, rows, cols):
    """Every character a double-byte legacy charset encodes in the given lead/trail bytes."""
    out = set()
    for lead in rows:
        for trail in cols:
            try:
                ch = bytes([lead, trail]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                out.add(ord(ch))
    return out


def cjk_coverage():
    """The ideographs, kana and Hangul the CJK subset keeps.

    - GB 2312, all 6,763 hanzi (levels 1 and 2): Simplified Chinese.
    - Big5 level 1, the 5,401 frequently used hanzi (0xA440-0xC67E): Traditional Chinese.
    - JIS X 0208 level 1, 2,965 kanji: Japanese.
    - KS X 1001, its 2,350 Hangul syllables: Korean.
    - Whole blocks: CJK symbols and punctuation, hiragana, katakana (and its phonetic
      extensions), bopomofo, Hangul compatibility jamo, half- and full-width forms.
    """
    hanzi = double_byte("gb2312", range(0xB0, 0xF8), range(0xA1, 0xFF))
    big5 = set()
    for lead in range(0xA4, 0xC7):
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            if (lead, trail) > (0xC6, 0x7E):
                continue
            try:
                big5.add(ord(bytes([lead, trail]).decode("big5")))
            except UnicodeDecodeError:
                pass
    kanji = double_byte("euc_jp", range(0xB0, 0xD0), range(0xA1, 0xFF))
    hangul = double_byte("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF))
    extra = blocks(
        (0x3000, 0x303F),  # CJK symbols and punctuation
        (0x3040, 0x309F),  # hiragana
        (0x30A0, 0x30FF),  # katakana
        (0x31F0, 0x31FF),  # katakana phonetic extensions
        (0x3100, 0x312F),  # bopomofo
        (0x3131, 0x318E),  # Hangul compatibility jamo
        (0xFF00, 0xFFEF),  # half- and full-width forms
    )
    return sorted(hanzi | big5 | kanji | hangul | set(extra))


def subset_font(source, target, unicodes, features, font_number=0):
    """Writes the subset of `source` covering `unicodes`, unhinted."""
    options = subset.Options()
    options.layout_features = features
    options.hinting = False
    options.desubroutinize = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.name_languages = [0x409]
    options.drop_tables += ["vhea", "vmtx", "VORG", "BASE", "DSIG", "FFTM", "meta"]
    options.font_number = font_number
    font = subset.load_font(source, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    subset.save_font(font, target, options)
    return os.path.getsize(target)


def ligatures(font):
    """Every ligature glyph in GSUB and the glyphs it is made of."""
    out = {}
    for lookup in font["GSUB"].table.LookupList.Lookup:
        for table in lookup.SubTable:
            if lookup.LookupType == 7:
                table = table.ExtSubTable
            for first, ligs in getattr(table, "ligatures", {}).items():
                for lig in ligs:
                    out[lig.LigGlyph] = [first] + lig.Component
    return out


def emoji(source, target, height):
    """Noto Color Emoji without skin-tone sequences, its bitmaps scaled to `height` px.

    The font is CBDT (PNG bitmaps), the colour format resvg draws (it also draws COLR, but
    Debian ships Noto's emoji only as CBDT). Its one strike is 136x128 px at 109 ppem,
    about 10.9 MB. Two changes keep the coverage and shed most of that:

    - Skin-tone sequences (1,890 ligatures, 53 % of the bytes) are dropped. A name that
      uses one shows the base emoji followed by the tone swatch, which is what Unicode
      specifies for a font without the sequence; the five swatches stay.
    - Bitmaps are resampled (Lanczos, premultiplied) to `height` px and quantized to a
      palette, as upstream's are. A badge name is 18 px, so its emoji are 21 px at scale 1
      and 42 px at scale 2 (the default PNG); resvg samples bitmaps without mipmaps, so a
      strike near the drawn size also draws smoother than a 128 px one.
    """
    # Keep the source's timestamps, so the same inputs give the same bytes.
    font = TTFont(source, recalcTimestamp=False)
    cmap = font.getBestCmap()
    tones = {cmap[cp] for cp in range(0x1F3FB, 0x1F400) if cp in cmap}
    dropped = {g for g, parts in ligatures(font).items() if any(p in tones for p in parts)}
    keep = [g for g in font.getGlyphOrder() if g not in dropped]

    options = subset.Options()
    options.layout_features = ["*"]
    options.layout_closure = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.name_languages = [0x409]
    options.drop_tables += ["vhea", "vmtx"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(glyphs=keep, unicodes=list(cmap))
    subsetter.subset(font)
    assert not dropped & set(font.getGlyphOrder()), "skin-tone ligatures survived"

    strike = font["CBLC"].strikes[0]
    sizes = strike.bitmapSizeTable
    old_ppem = sizes.ppemX
    ppem = round(old_ppem * height / 128)
    k = ppem / old_ppem
    for glyph in font["CBDT"].strikeData[0].values():
        glyph.decompile()
        m = glyph.metrics
        image = Image.open(io.BytesIO(glyph.imageData)).convert("RGBA")
        w, h = max(1, round(m.width * k)), max(1, round(m.height * k))
        image = image.convert("RGBa").resize((w, h), Image.LANCZOS).convert("RGBA")
        image = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE)
        buffer = io.BytesIO()
        image.save(buffer, "PNG", optimize=True)
        glyph.imageData = buffer.getvalue()
        m.width, m.height = w, h
        m.BearingX = round(m.BearingX * k)
        m.BearingY = round(m.BearingY * k)
        m.Advance = round(m.Advance * k)
    sizes.ppemX = sizes.ppemY = ppem
    for line in (sizes.hori, sizes.vert):
        for field in ("ascender", "descender", "widthMax", "minOriginSB", "minAdvanceSB",
                      "maxBeforeBL", "minAfterBL"):
            setattr(line, field, round(getattr(line, field) * k))
    font.save(target)
    return os.path.getsize(target)


def license_text():
    """The OFL, as Debian's fonts-noto-color-emoji states it, with every bundled Noto
    font's copyright notice (the fonts' own name-table notices) above it."""
    notices = []
    for name in sorted(os.listdir(HERE)):
        if name.startswith("Noto") and name.endswith((".ttf", ".otf")):
            notice = TTFont(os.path.join(HERE, name))["name"].getDebugName(0)
            if notice and notice not in notices:
                notices.append(notice)
    # The license text is the indented paragraph under a "License: SIL-1.1" stanza.
    ofl, inside = [], False
    with open("/usr/share/doc/fonts-noto-color-emoji/copyright", encoding="utf-8") as f:
        for line in f:
            if line.startswith("License:"):
                inside = "SIL-1.1" in line
                continue
            if inside and line.startswith(" "):
                text = line[1:].rstrip("\n")
                ofl.append("" if text == "." else text)
            elif inside and ofl:
                break
    body = "\n".join(ofl).strip()
    assert "SIL OPEN FONT LICENSE Version 1.1" in body, "OFL text not found"
    return "\n".join(notices) + "\n\n" + body + "\n"


def main():
    height = int(sys.argv[1]) if len(sys.argv) > 1 else 72
    arabic = blocks((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF),
                    (0xFE70, 0xFEFF))
    devanagari = blocks((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF))
    thai = blocks((0x0E00, 0x0E7F))
    sizes = {}
    for weight in ("Regular", "Bold"):
        for family, cps, features in (
            ("NotoSansArabic", arabic, ARABIC_FEATURES),
            ("NotoSansDevanagari", devanagari, INDIC_FEATURES),
            ("NotoSansThai", thai, []),
        ):
            name = f"{family}-{weight}.ttf"
            sizes[name] = subset_font(os.path.join(NOTO, name), os.path.join(HERE, name),
                                      cps + SHAPING, COMMON_FEATURES + features)
        name = f"NotoSansCJKsc-{weight}.otf"
        # Face 2 of Debian's collection is Noto Sans CJK SC.
        sizes[name] = subset_font(os.path.join(NOTO_CJK, f"NotoSansCJK-{weight}.ttc"),
                                  os.path.join(HERE, name), cjk_coverage() + SHAPING,
                                  COMMON_FEATURES, font_number=2)
    name = "NotoColorEmoji.ttf"
    sizes[name] = emoji(os.path.join(NOTO, name), os.path.join(HERE, name), height)
    with open(os.path.join(HERE, "LICENSE-Noto.txt"), "w", encoding="utf-8") as f:
        f.write(license_text())
    for name, size in sizes.items():
        print(f"{size:>10,}  {name}")
    print(f"{sum(sizes.values()):>10,}  total")
    print(f"fontTools {fontTools.version}, Pillow {PIL.__version__}")


if __name__ == "__main__":
    main()
