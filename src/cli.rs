//! The `verdict-badges` command line: `serve`, `import`, `render`, `keys`, `stats`,
//! `counts` ([`crate::counts_file`]).

use crate::app::{Application, shutdown_signal};
use crate::config::{Config, DEFAULT_DATABASE_URL, ServeArgs};
use crate::render::{Format, Renderer, Scale, Style, Theme, Variant};
use crate::stats::Days;
use crate::store::Store;
use crate::verdict::{ImportError, Slug, parse_import};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Largest import file read, in bytes.
const MAX_IMPORT_BYTES: u64 = 64 << 20;

/// Live Ship/Skip verdict badges and widgets, with honest impression counts.
#[derive(Parser, Debug)]
#[command(name = "verdict-badges", version, about)]
pub struct Cli {
    /// The store: sqlite://PATH (created when missing) or postgres://…
    #[arg(long, global = true, env = "VERDICT_BADGES_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the service.
    Serve(Box<ServeArgs>),
    /// Validate a JSON array of verdict records and upsert all of them, or none.
    Import {
        /// The file to import.
        file: PathBuf,
    },
    /// Render one tool's badge offline, from the store.
    Render(RenderArgs),
    /// Mint or revoke per-tool stats keys.
    Keys {
        /// create or revoke.
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Print a tool's daily counts as a table.
    Stats {
        /// The tool's slug.
        #[arg(value_parser = parse_slug)]
        slug: Slug,
        /// How many days back, today included (1–366).
        #[arg(long, default_value = "30")]
        days: Days,
    },
    /// Export or import count rows as CSV (slug,date,kind,referrer,count).
    Counts {
        /// export or import.
        #[command(subcommand)]
        action: crate::counts_file::CountsAction,
    },
}

/// `keys` subcommands.
#[derive(Subcommand, Debug)]
pub enum KeysAction {
    /// Mint a stats key for one tool; it is printed once and stored only as a hash.
    Create {
        /// The tool's slug.
        #[arg(value_parser = parse_slug)]
        slug: Slug,
        /// Mint even when the store holds no verdict for the slug (verdict origin mode).
        #[arg(long)]
        allow_unknown: bool,
    },
    /// Revoke a stats key.
    Revoke {
        /// The key, as printed by `keys create`.
        key: String,
    },
}

/// Image formats of `render`.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FormatArg {
    /// SVG.
    Svg,
    /// PNG.
    Png,
}

/// Flags of `render`.
#[derive(clap::Args, Debug)]
pub struct RenderArgs {
    /// The tool's slug.
    #[arg(value_parser = parse_slug)]
    pub slug: Slug,
    /// Image format.
    #[arg(long, value_enum, default_value_t = FormatArg::Svg)]
    pub format: FormatArg,
    /// card (360×90) or compact (20 px high).
    #[arg(long, default_value = "card", value_parser = |s: &str| Style::parse(s))]
    pub style: Style,
    /// light, dark or auto (an SVG that follows the reader's scheme; a PNG is light).
    #[arg(long, default_value = "light", value_parser = |s: &str| Theme::parse(s))]
    pub theme: Theme,
    /// PNG scale, 1–4.
    #[arg(long, default_value = "2")]
    pub scale: Scale,
    /// Output file; standard output when absent.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// A slug argument, checked by the same rule as everywhere else.
fn parse_slug(s: &str) -> Result<Slug, String> {
    Slug::parse(s).map_err(|why| format!("a slug {why}"))
}

/// Threads in the runtime's blocking pool (tokio's default is 512).
const MAX_BLOCKING_THREADS: usize = 16;

/// Runs the command line and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    crate::malloc::tune();
    let cli = Cli::parse();
    init_tracing(&cli.command);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // The blocking pool rasterizes PNGs, which is CPU work: more threads than this
        // only queue for the cores, and each one costs a stack and a malloc arena.
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(command: &Command) {
    // An import's set-based statements take seconds by design: not worth sqlx's
    // slow-statement warnings, which print each statement in full.
    let default = match command {
        Command::Counts { .. } => "info,sqlx=error",
        _ => "info,tower_http=warn,sqlx=warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("VERDICT_BADGES_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs one parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let config = Config::from_args(*args, cli.database_url)?;
            let app = Application::build(config).await?;
            Ok(app.run_until(shutdown_signal()).await?)
        }
        Command::Import { file } => import(&cli.database_url, &file).await,
        Command::Render(args) => render(&cli.database_url, args).await,
        Command::Keys { action } => keys(&cli.database_url, action).await,
        Command::Stats { slug, days } => print_stats(&cli.database_url, &slug, days).await,
        Command::Counts { action } => crate::counts_file::run(&cli.database_url, action).await,
    }
}

/// Opens a store that a write may create (`import`).
async fn open(url: &str) -> anyhow::Result<Store> {
    Store::connect(url)
        .await
        .with_context(|| format!("opening the store at {}", crate::store::describe(url)))
}

/// Opens a store that must exist already: a command that only reads it (or adds a key
/// to it) run from another directory must not quietly create an empty one.
async fn open_existing(url: &str) -> anyhow::Result<Store> {
    Store::connect_existing(url)
        .await
        .with_context(|| format!("opening the store at {}", crate::store::describe(url)))
}

async fn import(url: &str, file: &PathBuf) -> anyhow::Result<()> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    if size > MAX_IMPORT_BYTES {
        bail!(
            "{} is {size} bytes; the limit is {MAX_IMPORT_BYTES}",
            file.display()
        );
    }
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let verdicts = match parse_import(&text) {
        Ok(v) => v,
        Err(ImportError::Invalid(records)) => {
            for record in &records {
                eprintln!("{record}");
            }
            bail!(
                "{}: {} invalid record(s); nothing was imported",
                file.display(),
                records.len()
            );
        }
        Err(e) => bail!("{}: {e}; nothing was imported", file.display()),
    };
    let store = open(url).await?;
    store.upsert_verdicts(&verdicts).await?;
    store.close().await;
    println!(
        "imported {} verdict(s) into {}",
        verdicts.len(),
        crate::store::describe(url)
    );
    Ok(())
}

async fn render(url: &str, args: RenderArgs) -> anyhow::Result<()> {
    let slug = &args.slug;
    let store = open_existing(url).await?;
    let verdict = store.verdict(slug).await?.with_context(|| {
        format!(
            "no verdict for {slug} in the store at {}",
            crate::store::describe(url)
        )
    })?;
    store.close().await;
    let renderer = Renderer::new();
    let variant = Variant {
        style: args.style,
        theme: args.theme,
    };
    let format = match args.format {
        FormatArg::Svg => Format::Svg,
        FormatArg::Png => Format::Png { scale: args.scale },
    };
    let bytes = match format {
        Format::Svg => renderer.badge_svg(&verdict, variant).into_bytes(),
        // The served PNG: drawn from the renderer's own text layout.
        Format::Png { scale } => renderer.badge_png(&verdict, variant, scale.get())?,
    };
    match args.out {
        Some(path) => {
            std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(())
}

async fn keys(url: &str, action: KeysAction) -> anyhow::Result<()> {
    let store = open_existing(url).await?;
    match action {
        KeysAction::Create {
            slug,
            allow_unknown,
        } => {
            if !allow_unknown && store.verdict(&slug).await?.is_none() {
                bail!(
                    "no verdict for {slug} in the store at {}: check the slug and the store, \
                     import the verdict first, or pass --allow-unknown when verdicts come \
                     from a verdict origin",
                    crate::store::describe(url)
                );
            }
            let key = crate::auth::new_stats_key();
            store
                .insert_stats_key(&crate::auth::digest_hex(&key), &slug)
                .await?;
            println!("{key}");
            eprintln!("stats key for {slug}: shown once, stored only as a hash");
        }
        KeysAction::Revoke { key } => {
            if !store
                .revoke_stats_key(&crate::auth::digest_hex(key.trim()))
                .await?
            {
                bail!(
                    "no live key matches in the store at {}",
                    crate::store::describe(url)
                );
            }
            eprintln!("revoked");
        }
    }
    store.close().await;
    Ok(())
}

async fn print_stats(url: &str, slug: &Slug, days: Days) -> anyhow::Result<()> {
    let store = open_existing(url).await?;
    let stats = crate::stats::read(&store, slug, days).await?;
    store.close().await;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{slug}: {} to {} (UTC), from the store at {}",
        stats.from,
        stats.to,
        crate::store::describe(url)
    )?;
    writeln!(
        out,
        "{:<12}{:>12}{:>12}{:>10}",
        "date", "badge", "widget", "clicks"
    )?;
    for d in &stats.daily {
        writeln!(
            out,
            "{:<12}{:>12}{:>12}{:>10}",
            d.date, d.badge_impressions, d.widget_impressions, d.clicks
        )?;
    }
    let t = &stats.totals;
    writeln!(
        out,
        "{:<12}{:>12}{:>12}{:>10}",
        "total", t.badge_impressions, t.widget_impressions, t.clicks
    )?;
    writeln!(out, "bot requests (not counted above): {}", t.bot_requests)?;
    Ok(())
}
