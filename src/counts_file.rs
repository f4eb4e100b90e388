//! `verdict-badges counts export` and `counts import`: count rows as CSV, the way an
//! operator backs counts up, moves them from SQLite to PostgreSQL, or brings history
//! from another counter.
//!
//! The format (`docs/counts-export.md`): UTF-8 CSV, header line exactly
//! `slug,date,kind,referrer,count`, then one detail row a line — `date` is `YYYY-MM-DD`
//! (UTC), `kind` is `badge`, `widget`, `click` or `bot`, `referrer` a lowercase host,
//! `(direct)` or `(other)`, and `count` a positive whole number.
//!
//! Export streams rows from the store to the writer in constant memory. Import reads
//! the file twice: once to check every line (and hash the file), then, if all are
//! good and the hash is new, to add the rows in one transaction with the hash.

use crate::counts::{CountRow, Kind, check_referrer};
use crate::store::{PastImport, Selection, Store, StoreError};
use crate::verdict::Slug;
use anyhow::{Context, bail};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use time::{Date, OffsetDateTime};

/// The header line, field by field.
pub const HEADER: [&str; 5] = ["slug", "date", "kind", "referrer", "count"];
/// Largest count one row may carry: far above any day's loads from one host, and far
/// below what would overflow a sum.
pub const MAX_COUNT: u64 = 1_000_000_000_000;
/// Rows an import hands to the store at a time: bounded memory whatever the file.
const ROWS_PER_CHUNK: usize = 10_000;

/// `counts` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum CountsAction {
    /// Write count rows as CSV (standard output by default), streamed in constant memory.
    Export(ExportArgs),
    /// Check every line of a counts CSV, then add all its rows in one transaction, or none.
    Import {
        /// The CSV file (header `slug,date,kind,referrer,count`).
        file: PathBuf,
    },
}

/// Flags of `counts export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// Only this tool.
    #[arg(long, value_parser = |s: &str| Slug::parse(s).map_err(|why| format!("a slug {why}")))]
    pub slug: Option<Slug>,
    /// First day (YYYY-MM-DD, UTC), inclusive.
    #[arg(long, value_parser = parse_date)]
    pub from: Option<Date>,
    /// Last day (YYYY-MM-DD, UTC), inclusive.
    #[arg(long, value_parser = parse_date)]
    pub to: Option<Date>,
    /// Output file, written whole or not at all; standard output when absent.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Runs a `counts` subcommand against the store at `url`.
pub async fn run(url: &str, action: CountsAction) -> anyhow::Result<()> {
    match action {
        CountsAction::Export(args) => {
            let store = Store::connect_existing(url)
                .await
                .with_context(|| format!("opening the store at {}", crate::store::describe(url)))?;
            let selection = Selection {
                slug: args.slug,
                from: args.from,
                to: args.to,
            };
            let rows = match &args.out {
                Some(path) => export_to_file(&store, &selection, path).await?,
                None => {
                    let stdout = std::io::stdout().lock();
                    export(&store, &selection, std::io::BufWriter::new(stdout)).await?
                }
            };
            store.close().await;
            eprintln!(
                "exported {rows} row(s) from {}",
                crate::store::describe(url)
            );
            Ok(())
        }
        CountsAction::Import { file } => {
            let mut stderr = std::io::stderr().lock();
            let checked = check_file(&file, &mut stderr)?;
            drop(stderr);
            if checked.bad_lines > 0 {
                bail!(
                    "{}: {} bad line(s); nothing was imported",
                    file.display(),
                    checked.bad_lines
                );
            }
            let store = Store::connect(url)
                .await
                .with_context(|| format!("opening the store at {}", crate::store::describe(url)))?;
            let outcome = import(&store, &file, &checked).await;
            store.close().await;
            match outcome? {
                Ok(imported) => {
                    let secs = imported.seconds.max(1e-9);
                    println!(
                        "imported {} row(s) from {} into {} in {:.2} s ({:.0} rows/s)",
                        imported.rows,
                        file.display(),
                        crate::store::describe(url),
                        imported.seconds,
                        imported.rows as f64 / secs
                    );
                    Ok(())
                }
                Err(past) => bail!(
                    "{}: this file was imported into {} before, on {} ({} rows); \
                     nothing was imported again",
                    file.display(),
                    crate::store::describe(url),
                    past.at.date(),
                    past.rows
                ),
            }
        }
    }
}

/// `YYYY-MM-DD`, strictly: four-digit year, two-digit month and day, a real date.
pub fn parse_date(s: &str) -> Result<Date, String> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10);
    if !shaped {
        return Err(format!("must be a date as YYYY-MM-DD, got {s:?}"));
    }
    // All digits now: the numbers parse.
    let number = |r: std::ops::Range<usize>| s[r].parse::<u16>().unwrap_or(0);
    let no_such = || format!("no such date: {s:?}");
    let month = time::Month::try_from(number(5..7) as u8).map_err(|_| no_such())?;
    Date::from_calendar_date(i32::from(number(0..4)), month, number(8..10) as u8)
        .map_err(|_| no_such())
}

/// One field of one line that is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name (from [`HEADER`]), or `line` for the line as a whole.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// A line with at least one wrong field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// Every wrong field.
    pub errors: Vec<FieldError>,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "line {}: {}: {}", self.line, e.field, e.reason)?;
        }
        Ok(())
    }
}

/// Checks one record; `latest` is the last date accepted (tomorrow, UTC: a clock a
/// little ahead at midnight must not refuse a whole file).
pub fn parse_record(record: &csv::ByteRecord, latest: Date) -> Result<CountRow, Vec<FieldError>> {
    let err = |field, reason: String| FieldError { field, reason };
    if record.len() != HEADER.len() {
        return Err(vec![err(
            "line",
            format!(
                "must have 5 fields ({}), has {}",
                HEADER.join(","),
                record.len()
            ),
        )]);
    }
    let mut errors = Vec::new();
    let field = |i: usize, errors: &mut Vec<FieldError>| match std::str::from_utf8(&record[i]) {
        Ok(s) => Some(s),
        Err(_) => {
            errors.push(err(HEADER[i], "is not UTF-8".into()));
            None
        }
    };
    let slug = field(0, &mut errors).and_then(|s| {
        Slug::parse(s)
            .map_err(|why| errors.push(err("slug", format!("{why}, got {s:?}"))))
            .ok()
    });
    let day = field(1, &mut errors).and_then(|s| match parse_date(s) {
        Ok(d) if d > latest => {
            errors.push(err("date", format!("{s} is in the future (UTC)")));
            None
        }
        Ok(d) => Some(d),
        Err(why) => {
            errors.push(err("date", why));
            None
        }
    });
    let kind = field(2, &mut errors).and_then(|s| {
        let kind = Kind::parse(s);
        if kind.is_none() {
            errors.push(err(
                "kind",
                format!("must be badge, widget, click or bot, got {s:?}"),
            ));
        }
        kind
    });
    let referrer = field(3, &mut errors).and_then(|s| match check_referrer(s) {
        Ok(()) => Some(s.to_owned()),
        Err(why) => {
            errors.push(err("referrer", format!("{why}, got {s:?}")));
            None
        }
    });
    let n = field(4, &mut errors).and_then(|s| {
        let n = s
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse::<u64>().ok())
            .flatten()
            .filter(|n| (1..=MAX_COUNT).contains(n));
        if n.is_none() {
            errors.push(err(
                "count",
                format!("must be a whole number from 1 to {MAX_COUNT}, got {s:?}"),
            ));
        }
        n
    });
    match (slug, day, kind, referrer, n) {
        (Some(slug), Some(day), Some(kind), Some(referrer), Some(n)) if errors.is_empty() => {
            Ok(CountRow {
                slug,
                day,
                kind,
                referrer,
                n,
            })
        }
        _ => Err(errors),
    }
}

/// Reads through to a SHA-256 of everything read.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// A line's number and its row, or what is wrong with it.
type Line = (u64, Result<CountRow, Vec<FieldError>>);

/// Reads a counts file record by record, checking the header and hashing every byte.
struct CountsReader {
    csv: csv::Reader<Hashing<std::io::BufReader<std::fs::File>>>,
    record: csv::ByteRecord,
    latest: Date,
}

impl CountsReader {
    fn open(path: &Path) -> anyhow::Result<CountsReader> {
        let file =
            std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
        let csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(Hashing {
                inner: std::io::BufReader::with_capacity(1 << 16, file),
                hasher: Sha256::new(),
            });
        Ok(CountsReader {
            csv,
            record: csv::ByteRecord::new(),
            latest: OffsetDateTime::now_utc()
                .date()
                .next_day()
                .unwrap_or(Date::MAX),
        })
    }

    /// Checks the header line; a file without the exact header is not a counts file.
    fn header(&mut self, path: &Path) -> anyhow::Result<()> {
        let read = self
            .csv
            .read_byte_record(&mut self.record)
            .with_context(|| format!("reading {}", path.display()))?;
        let header: Vec<&[u8]> = self.record.iter().collect();
        let want: Vec<&[u8]> = HEADER.iter().map(|h| h.as_bytes()).collect();
        if !read || header != want {
            bail!(
                "{}: line 1: the header must be exactly {}, got {:?}; nothing was imported",
                path.display(),
                HEADER.join(","),
                self.record
                    .iter()
                    .map(String::from_utf8_lossy)
                    .collect::<Vec<_>>()
                    .join(",")
            );
        }
        Ok(())
    }

    /// The next line: its number and the row, or what is wrong with it; `None` at the end.
    fn next(&mut self) -> Option<std::io::Result<Line>> {
        match self.csv.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                Some(Ok((line, parse_record(&self.record, self.latest))))
            }
            Err(e) => match e.into_kind() {
                csv::ErrorKind::Io(e) => Some(Err(e)),
                other => Some(Err(std::io::Error::other(format!("{other:?}")))),
            },
        }
    }

    /// The hex SHA-256 of every byte read so far (the whole file, once at the end).
    fn sha256(self) -> String {
        hex::encode(self.csv.into_inner().hasher.finalize())
    }
}

/// What checking a file found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// Data lines (the header not counted).
    pub rows: u64,
    /// Lines with at least one wrong field.
    pub bad_lines: u64,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// Checks every line of a counts file, printing each bad line's number and fields to
/// `report` as it is found (nothing is kept in memory but the tallies).
pub fn check_file(path: &Path, report: &mut impl Write) -> anyhow::Result<Checked> {
    let mut reader = CountsReader::open(path)?;
    reader.header(path)?;
    let (mut rows, mut bad_lines) = (0u64, 0u64);
    while let Some(next) = reader.next() {
        let (line, parsed) = next.with_context(|| format!("reading {}", path.display()))?;
        rows += 1;
        if let Err(errors) = parsed {
            bad_lines += 1;
            writeln!(report, "{}", BadLine { line, errors })?;
        }
    }
    Ok(Checked {
        rows,
        bad_lines,
        sha256: reader.sha256(),
    })
}

/// An import done.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Imported {
    /// Rows added.
    pub rows: u64,
    /// Wall time of the transaction, in seconds.
    pub seconds: f64,
}

/// Adds every row of a file that [`check_file`] found good, in one transaction with its
/// SHA-256; a file imported before is refused with its past import, and a file changed
/// since it was checked is an error. Nothing is written unless everything is.
pub async fn import(
    store: &Store,
    path: &Path,
    checked: &Checked,
) -> anyhow::Result<Result<Imported, PastImport>> {
    anyhow::ensure!(checked.bad_lines == 0, "the file has bad lines");
    if let Some(past) = store.past_import(&checked.sha256).await? {
        return Ok(Err(past));
    }
    let started = Instant::now();
    let mut tx = match store
        .begin_counts_import(&checked.sha256, checked.rows)
        .await?
    {
        Ok(tx) => tx,
        Err(past) => return Ok(Err(past)),
    };
    let mut reader = CountsReader::open(path)?;
    let outcome: anyhow::Result<u64> = async {
        reader.header(path)?;
        let mut chunk = Vec::with_capacity(ROWS_PER_CHUNK);
        let mut rows = 0u64;
        while let Some(next) = reader.next() {
            let (line, parsed) = next?;
            let row = parsed.map_err(|errors| {
                anyhow::anyhow!(
                    "{} changed while importing: {}",
                    path.display(),
                    BadLine { line, errors }
                )
            })?;
            chunk.push(row);
            rows += 1;
            if chunk.len() == ROWS_PER_CHUNK {
                tx.add(&chunk).await?;
                chunk.clear();
            }
        }
        tx.add(&chunk).await?;
        Ok(rows)
    }
    .await;
    let rows = match outcome {
        Ok(rows) if rows == checked.rows && reader.sha256() == checked.sha256 => rows,
        Ok(_) => {
            tx.rollback().await?;
            bail!(
                "{} changed while importing; nothing was imported",
                path.display()
            );
        }
        Err(e) => {
            tx.rollback().await?;
            return Err(e.context("nothing was imported"));
        }
    };
    tx.commit()
        .await
        .map_err(|e: StoreError| anyhow::anyhow!("{e}; nothing was imported"))?;
    Ok(Ok(Imported {
        rows,
        seconds: started.elapsed().as_secs_f64(),
    }))
}

/// Writes the selection's rows as CSV to `out`; answers how many rows.
pub async fn export(store: &Store, selection: &Selection, out: impl Write) -> anyhow::Result<u64> {
    let mut csv = csv::WriterBuilder::new().from_writer(out);
    csv.write_record(HEADER)?;
    let mut rows = store.export_counts(selection);
    let mut n = 0u64;
    while let Some(row) = rows.next().await {
        let row = row?;
        csv.write_record([
            row.slug.as_str(),
            &row.day.to_string(),
            row.kind.as_str(),
            &row.referrer,
            &row.n.to_string(),
        ])?;
        n += 1;
    }
    csv.flush()?;
    Ok(n)
}

/// Writes the export to `path` whole or not at all: into a file beside it, renamed
/// over it once complete.
async fn export_to_file(store: &Store, selection: &Selection, path: &Path) -> anyhow::Result<u64> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let written = export(store, selection, &mut writer).await.and_then(|n| {
        writer.flush()?;
        writer.get_ref().sync_all()?;
        Ok(n)
    });
    match written {
        Ok(n) => {
            std::fs::rename(&partial, path)
                .with_context(|| format!("renaming {} to {}", partial.display(), path.display()))?;
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e.context(format!("writing {}", path.display())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn record(fields: &[&str]) -> csv::ByteRecord {
        csv::ByteRecord::from(fields.to_vec())
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(parse_date("2026-02-28"), Ok(date!(2026 - 02 - 28)));
        for bad in [
            "2026-02-30",
            "2026-2-28",
            "26-02-28",
            "2026-02-28T00",
            "",
            "2026-13-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_wrong_field_of_a_line_is_named() {
        let latest = date!(2026 - 11 - 29);
        let good = parse_record(
            &record(&["smolvlm-3b", "2026-11-20", "click", "(direct)", "7"]),
            latest,
        )
        .unwrap();
        assert_eq!((good.kind, good.n), (Kind::Click, 7));
        let errors = parse_record(
            &record(&["Bad Slug", "2026-11-31", "view", "Example.com", "0"]),
            latest,
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["slug", "date", "kind", "referrer", "count"]);
        let future = parse_record(
            &record(&["a", "2026-12-01", "bot", "x.example", "1"]),
            latest,
        )
        .unwrap_err();
        assert_eq!(future[0].field, "date");
        assert!(future[0].reason.contains("future"), "{future:?}");
        for count in ["-1", "+1", "1.0", "1e3", " 1", "1000000000001", ""] {
            let e =
                parse_record(&record(&["a", "2026-11-20", "bot", "x", count]), latest).unwrap_err();
            assert_eq!(e[0].field, "count", "{count}");
        }
        let short = parse_record(&record(&["a", "2026-11-20"]), latest).unwrap_err();
        assert_eq!(short[0].field, "line");
    }
}
