//! The verdict record: the contract's rules as types.
//!
//! A [`Verdict`] can only be built through [`Verdict::from_json`], which checks every
//! rule of the contract and reports *all* broken rules at once, each naming its field
//! (`reviews[2].score`), so an import can tell the operator exactly what to fix.

use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Longest slug the contract allows, in characters.
pub const SLUG_MAX: usize = 120;
/// Longest tool name, in characters.
pub const NAME_MAX: usize = 120;
/// Longest tagline, in characters.
pub const TAGLINE_MAX: usize = 200;
/// Longest category, in characters.
pub const CATEGORY_MAX: usize = 60;
/// Longest pricing line, in characters.
pub const PRICING_MAX: usize = 120;
/// Most reviews a verdict may carry.
pub const REVIEWS_MAX: usize = 10;
/// Longest reviewer role, in characters.
pub const ROLE_MAX: usize = 32;
/// Largest expert-panel count on either side (the contract's rule: a panel is a handful of reviewers).
pub const PANEL_MAX: u32 = 50;
/// Largest community count on either side: readers' votes on a popular tool run to
/// hundreds of thousands, so the bound only keeps the arithmetic far from overflow.
pub const COMMUNITY_MAX: u32 = 1_000_000_000;

/// A tool's identifier: `^[a-z0-9]+(-[a-z0-9]+)*$`, 1–120 characters.
///
/// Shared, not copied: counters and cache keys hold clones of one allocation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(Arc<str>);

impl Serialize for Slug {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for Slug {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Slug {
    /// Checks `s` against the slug rule; the error says what is wrong.
    pub fn parse(s: &str) -> Result<Slug, String> {
        SlugRef::parse(s).map(SlugRef::to_slug)
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A slug checked against the rule but not yet owned: what a request's path names.
///
/// The badge route looks its tool up by this and never allocates a [`Slug`] for a
/// tool already in memory (the verdict carries its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SlugRef<'a>(&'a str);

impl<'a> SlugRef<'a> {
    /// Checks `s` against the slug rule; the error says what is wrong.
    pub fn parse(s: &'a str) -> Result<SlugRef<'a>, String> {
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if s.len() > SLUG_MAX {
            return Err(format!("must be at most {SLUG_MAX} characters"));
        }
        let charset_ok = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !charset_ok || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(
                "must be lowercase letters and digits in words joined by single hyphens".into(),
            );
        }
        Ok(SlugRef(s))
    }

    /// The slug as text.
    pub fn as_str(self) -> &'a str {
        self.0
    }

    /// An owned copy.
    pub fn to_slug(self) -> Slug {
        Slug(Arc::from(self.0))
    }
}

impl<'a> From<&'a Slug> for SlugRef<'a> {
    fn from(slug: &'a Slug) -> SlugRef<'a> {
        SlugRef(&slug.0)
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Slug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Slug::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Ship or Skip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Call {
    /// The panel recommends the tool.
    Ship,
    /// The panel does not.
    Skip,
}

impl Call {
    /// "Ship" or "Skip", as shown to readers.
    pub fn label(self) -> &'static str {
        match self {
            Call::Ship => "Ship",
            Call::Skip => "Skip",
        }
    }
}

/// Votes on each side, for the panel or the community.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Votes {
    /// Votes to ship.
    pub ship: u32,
    /// Votes to skip.
    pub skip: u32,
}

impl Votes {
    /// All votes cast.
    pub fn total(self) -> u64 {
        u64::from(self.ship) + u64::from(self.skip)
    }

    /// Ship share as a whole percent, `None` when nobody voted.
    pub fn ship_percent(self) -> Option<u32> {
        let total = self.total();
        // In u64: a billion votes times 100 would overflow u32.
        (total > 0).then(|| ((u64::from(self.ship) * 100 + total / 2) / total) as u32)
    }
}

/// One panel member's review.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub struct Review {
    /// The reviewer's role on the panel, e.g. "Builder".
    #[schema(min_length = 1, max_length = 32)]
    pub role: String,
    /// The reviewer's own call.
    pub verdict: Call,
    /// Score out of 100, when the reviewer gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 100)]
    pub score: Option<u8>,
}

/// A validated verdict record. Unknown fields are rejected, not ignored.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub struct Verdict {
    /// The tool's slug.
    #[schema(value_type = String, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", min_length = 1, max_length = 120, example = "smolvlm-3b")]
    pub slug: Slug,
    /// The tool's display name, any Unicode.
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    /// One line about the tool.
    #[schema(max_length = 200)]
    pub tagline: String,
    /// The tool's category.
    #[schema(max_length = 60)]
    pub category: String,
    /// The panel's published call.
    pub verdict: Call,
    /// The expert panel's votes: 0–50 on each side.
    pub panel: Votes,
    /// Readers' votes (0–1,000,000,000 on each side), when any were cast; absent or 0/0
    /// reads "No community votes yet".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community: Option<Votes>,
    /// Pricing line.
    #[schema(max_length = 120)]
    pub pricing: String,
    /// Panel reviews, in order.
    #[schema(max_items = 10)]
    pub reviews: Vec<Review>,
    /// When the verdict was last updated (RFC 3339).
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: OffsetDateTime,
}

fn rfc3339<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    let text = t.format(&Rfc3339).map_err(serde::ser::Error::custom)?;
    s.serialize_str(&text)
}

/// One broken rule: which field, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Path of the field, e.g. `reviews[1].score`.
    pub field: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

const FIELDS: &[&str] = &[
    "slug",
    "name",
    "tagline",
    "category",
    "verdict",
    "panel",
    "community",
    "pricing",
    "reviews",
    "updated_at",
];

/// Collects field errors while a record is read, so every problem is reported at once.
struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    fn text(
        &mut self,
        obj: &Map<String, Value>,
        field: &str,
        path: &str,
        min: usize,
        max: usize,
        required: bool,
    ) -> Option<String> {
        match obj.get(field) {
            None | Some(Value::Null) if !required => Some(String::new()),
            None => {
                self.fail(path, "is required");
                None
            }
            Some(Value::String(s)) => {
                let chars = s.chars().count();
                if chars < min || chars > max {
                    self.fail(path, format!("must be {min}–{max} characters, got {chars}"));
                    None
                } else if s.chars().any(|c| c.is_control() && c != '\t') {
                    self.fail(path, "must not contain control characters");
                    None
                } else {
                    Some(s.clone())
                }
            }
            Some(other) => {
                self.fail(path, format!("must be a string, got {}", kind(other)));
                None
            }
        }
    }

    fn call(&mut self, value: Option<&Value>, path: &str) -> Option<Call> {
        match value {
            Some(Value::String(s)) if s == "ship" => Some(Call::Ship),
            Some(Value::String(s)) if s == "skip" => Some(Call::Skip),
            None => {
                self.fail(path, "is required");
                None
            }
            Some(other) => {
                self.fail(
                    path,
                    format!("must be \"ship\" or \"skip\", got {}", short(other)),
                );
                None
            }
        }
    }

    fn votes(&mut self, value: Option<&Value>, path: &str, max: u32) -> Option<Votes> {
        let Some(value) = value else {
            self.fail(path, "is required");
            return None;
        };
        let Some(obj) = value.as_object() else {
            self.fail(
                path,
                format!(
                    "must be an object {{\"ship\": n, \"skip\": n}}, got {}",
                    kind(value)
                ),
            );
            return None;
        };
        self.unknown_fields(obj, &["ship", "skip"], path);
        let ship = self.count(obj.get("ship"), &format!("{path}.ship"), max);
        let skip = self.count(obj.get("skip"), &format!("{path}.skip"), max);
        Some(Votes {
            ship: ship?,
            skip: skip?,
        })
    }

    fn count(&mut self, value: Option<&Value>, path: &str, max: u32) -> Option<u32> {
        match value.map(|v| (v, v.as_u64())) {
            Some((_, Some(n))) if n <= u64::from(max) => Some(n as u32),
            None => {
                self.fail(path, "is required");
                None
            }
            Some((v, _)) => {
                self.fail(
                    path,
                    format!("must be a whole number 0–{max}, got {}", short(v)),
                );
                None
            }
        }
    }

    fn unknown_fields(&mut self, obj: &Map<String, Value>, known: &[&str], path: &str) {
        for key in obj.keys().filter(|k| !known.contains(&k.as_str())) {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            self.fail(at, "is not a field of a verdict record");
        }
    }

    fn reviews(&mut self, value: Option<&Value>) -> Option<Vec<Review>> {
        let items = match value {
            None | Some(Value::Null) => return Some(Vec::new()),
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.fail("reviews", format!("must be an array, got {}", kind(other)));
                return None;
            }
        };
        if items.len() > REVIEWS_MAX {
            self.fail(
                "reviews",
                format!(
                    "must hold at most {REVIEWS_MAX} reviews, got {}",
                    items.len()
                ),
            );
            return None;
        }
        let mut reviews = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.review(item, &format!("reviews[{i}]")) {
                Some(r) => reviews.push(r),
                None => ok = false,
            }
        }
        ok.then_some(reviews)
    }

    fn review(&mut self, value: &Value, path: &str) -> Option<Review> {
        let Some(obj) = value.as_object() else {
            self.fail(path, format!("must be an object, got {}", kind(value)));
            return None;
        };
        self.unknown_fields(obj, &["role", "verdict", "score"], path);
        let role = self.text(obj, "role", &format!("{path}.role"), 1, ROLE_MAX, true);
        let verdict = self.call(obj.get("verdict"), &format!("{path}.verdict"));
        let score = match obj.get("score") {
            None | Some(Value::Null) => Some(None),
            Some(v) => match v.as_u64() {
                Some(n) if n <= 100 => Some(Some(n as u8)),
                _ => {
                    self.fail(
                        format!("{path}.score"),
                        format!("must be a whole number 0–100, got {}", short(v)),
                    );
                    None
                }
            },
        };
        Some(Review {
            role: role?,
            verdict: verdict?,
            score: score?,
        })
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A short rendering of a bad value for an error message, bounded in length.
fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 40 {
        let cut: String = text.chars().take(40).collect();
        format!("{cut}…")
    } else {
        text
    }
}

impl Verdict {
    /// Validates one JSON record against every rule of the contract.
    pub fn from_json(value: &Value) -> Result<Verdict, Vec<FieldError>> {
        let mut c = Checker { errors: Vec::new() };
        let Some(obj) = value.as_object() else {
            c.fail(
                "(record)",
                format!("must be an object, got {}", kind(value)),
            );
            return Err(c.errors);
        };
        c.unknown_fields(obj, FIELDS, "");

        let slug = match obj.get("slug") {
            Some(Value::String(s)) => Slug::parse(s).map_err(|m| c.fail("slug", m)).ok(),
            Some(other) => {
                c.fail("slug", format!("must be a string, got {}", kind(other)));
                None
            }
            None => {
                c.fail("slug", "is required");
                None
            }
        };
        let name = c.text(obj, "name", "name", 1, NAME_MAX, true);
        let tagline = c.text(obj, "tagline", "tagline", 0, TAGLINE_MAX, false);
        let category = c.text(obj, "category", "category", 0, CATEGORY_MAX, false);
        let pricing = c.text(obj, "pricing", "pricing", 0, PRICING_MAX, false);
        let verdict = c.call(obj.get("verdict"), "verdict");
        let panel = c.votes(obj.get("panel"), "panel", PANEL_MAX);
        let community = match obj.get("community") {
            None | Some(Value::Null) => Some(None),
            v => c.votes(v, "community", COMMUNITY_MAX).map(Some),
        };
        let reviews = c.reviews(obj.get("reviews"));
        let updated_at = match obj.get("updated_at") {
            Some(Value::String(s)) => OffsetDateTime::parse(s, &Rfc3339)
                .map_err(|_| {
                    c.fail(
                        "updated_at",
                        format!(
                            "must be an RFC 3339 time, got {}",
                            short(&Value::from(s.as_str()))
                        ),
                    )
                })
                .ok(),
            Some(other) => {
                c.fail(
                    "updated_at",
                    format!("must be an RFC 3339 time string, got {}", kind(other)),
                );
                None
            }
            None => {
                c.fail("updated_at", "is required");
                None
            }
        };

        match (
            slug, name, tagline, category, pricing, verdict, panel, community, reviews, updated_at,
        ) {
            (
                Some(slug),
                Some(name),
                Some(tagline),
                Some(category),
                Some(pricing),
                Some(verdict),
                Some(panel),
                Some(community),
                Some(reviews),
                Some(updated_at),
            ) if c.errors.is_empty() => Ok(Verdict {
                slug,
                name,
                tagline,
                category,
                verdict,
                panel,
                // 0/0 and absent mean the same thing: nobody voted yet.
                community: community.filter(|v| v.total() > 0),
                pricing,
                reviews,
                updated_at,
            }),
            _ => Err(c.errors),
        }
    }

    /// The record as the contract's JSON.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("a verdict always serializes")
    }

    /// "4 ships · 0 skips", the panel tally as words.
    pub fn tally_words(&self) -> String {
        fn plural(n: u32, one: &str) -> String {
            if n == 1 {
                format!("{n} {one}")
            } else {
                format!("{n} {one}s")
            }
        }
        format!(
            "{} · {}",
            plural(self.panel.ship, "ship"),
            plural(self.panel.skip, "skip")
        )
    }
}

/// One invalid record of an import: its index in the file and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordError {
    /// Zero-based index of the record in the file.
    pub index: usize,
    /// The record's slug, when it had a readable one.
    pub slug: Option<String>,
    /// The broken rules.
    pub errors: Vec<FieldError>,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for e in &self.errors {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(f, "record {}", self.index)?;
            if let Some(slug) = &self.slug {
                write!(f, " ({slug})")?;
            }
            write!(f, ": {}: {}", e.field, e.message)?;
        }
        Ok(())
    }
}

/// Why an import file was refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not JSON at all.
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The file is JSON but not an array of records.
    #[error("must be a JSON array of verdict records")]
    NotAnArray,
    /// Some records break the rules; nothing was imported.
    #[error("{} invalid record(s)", .0.len())]
    Invalid(Vec<RecordError>),
}

/// Parses and validates a whole import file: every record valid, or nothing.
///
/// Two records with the same slug are an error too, since one would silently
/// overwrite the other.
pub fn parse_import(text: &str) -> Result<Vec<Verdict>, ImportError> {
    let value: Value = serde_json::from_str(text)?;
    let Value::Array(records) = value else {
        return Err(ImportError::NotAnArray);
    };
    let mut verdicts = Vec::with_capacity(records.len());
    let mut failures = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (index, record) in records.iter().enumerate() {
        let slug = record
            .get("slug")
            .and_then(Value::as_str)
            .map(|s| s.chars().take(SLUG_MAX).collect::<String>());
        match Verdict::from_json(record) {
            Ok(v) => {
                if let Some(first) = seen.insert(v.slug.clone(), index) {
                    failures.push(RecordError {
                        index,
                        slug,
                        errors: vec![FieldError {
                            field: "slug".into(),
                            message: format!("repeats the slug of record {first}"),
                        }],
                    });
                } else {
                    verdicts.push(v);
                }
            }
            Err(errors) => failures.push(RecordError {
                index,
                slug,
                errors,
            }),
        }
    }
    if failures.is_empty() {
        Ok(verdicts)
    } else {
        Err(ImportError::Invalid(failures))
    }
}

/// The sample verdicts shipped with the service, for `serve --demo`.
pub fn demo_verdicts() -> Vec<Verdict> {
    parse_import(include_str!("../data/sample-verdicts.json"))
        .expect("the bundled sample verdicts are valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({
            "slug": "smolvlm-3b", "name": "SmolVLM-3B", "tagline": "t", "category": "c",
            "verdict": "ship", "panel": {"ship": 3, "skip": 1}, "pricing": "Free",
            "reviews": [{"role": "Builder", "score": 85, "verdict": "ship"}],
            "updated_at": "2026-11-18T14:30:00Z"
        })
    }

    #[test]
    fn slug_rules() {
        for ok in ["a", "smolvlm-3b", "a1-b2-c3", &"a".repeat(120)] {
            assert!(Slug::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a--b",
            "A",
            "a_b",
            "a b",
            "é",
            "../x",
            &"a".repeat(121),
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sample_data_is_valid() {
        assert_eq!(demo_verdicts().len(), 7);
    }

    #[test]
    fn a_good_record_round_trips() {
        let v = Verdict::from_json(&good()).unwrap();
        assert_eq!(v.panel.ship_percent(), Some(75));
        let back = Verdict::from_json(&v.to_json()).unwrap();
        assert_eq!(v, back);
    }

    #[test]
    fn every_broken_rule_is_named_by_field() {
        let mut r = good();
        r["name"] = json!("");
        r["panel"]["skip"] = json!(51);
        r["reviews"][0]["score"] = json!(140);
        r["color"] = json!("red");
        r["updated_at"] = json!("yesterday");
        let errors = Verdict::from_json(&r).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "color",
                "name",
                "panel.skip",
                "reviews[0].score",
                "updated_at"
            ]
        );
    }

    #[test]
    fn zero_community_reads_as_none() {
        let mut r = good();
        r["community"] = json!({"ship": 0, "skip": 0});
        assert_eq!(Verdict::from_json(&r).unwrap().community, None);
    }

    #[test]
    fn import_is_all_or_nothing_and_names_the_record() {
        let mut bad = good();
        bad["verdict"] = json!("maybe");
        let text = serde_json::to_string(&json!([good(), bad])).unwrap();
        let Err(ImportError::Invalid(errs)) = parse_import(&text) else {
            panic!("expected invalid")
        };
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].index, 1);
        assert_eq!(errs[0].errors[0].field, "verdict");
        assert!(
            errs[0]
                .to_string()
                .starts_with("record 1 (smolvlm-3b): verdict:")
        );
    }

    #[test]
    fn duplicate_slugs_are_refused() {
        let text = serde_json::to_string(&json!([good(), good()])).unwrap();
        assert!(matches!(parse_import(&text), Err(ImportError::Invalid(e)) if e[0].index == 1));
    }
}
