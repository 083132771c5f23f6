//! `meldroute`: the one binary. Commands: serve, migrate, backup, restore, admin, afwegingskader, anonymize.
//! Every failure a user can cause ends in one line on stderr saying what is wrong and what to do, and a
//! non-zero exit code.

mod admin;
mod afwegingskader_cmd;
mod anonymize_cmd;
mod audit_cmd;
mod config;
mod demo;
mod ops;
mod seed;
mod serve;
mod token_cmd;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// mimalloc instead of the C library's allocator: a page view allocates a few hundred small strings, and
/// with many requests on few cores glibc's allocator spent a fifth of the CPU and made threads wait for its
/// arena locks (docs/performance.md, fourth round).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "meldroute",
    version,
    about = "meldroute: the meldcode huiselijk geweld en kindermishandeling, step by step, with a dossier that keeps every decision and its reason."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives; shared by every command that touches the database.
#[derive(Args, Clone, Default)]
struct DbArgs {
    /// Settings file (TOML). Unknown keys are refused.
    #[arg(long, env = "MELDROUTE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory for the embedded database and keys [default: ./data].
    #[arg(long, env = "MELDROUTE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST:PORT/DB [default: sqlite://DATA_DIR/meldroute.db].
    #[arg(long, env = "MELDROUTE_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (migrates the database first).
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Create fictional demo data (once) and show a DEMO banner on every page.
        #[arg(long)]
        demo: bool,
        /// Address to listen on [default: 127.0.0.1:8080].
        #[arg(long, env = "MELDROUTE_ADDR", value_name = "HOST:PORT")]
        addr: Option<String>,
        /// Serve Prometheus metrics on this separate address (off by default).
        #[arg(long, env = "MELDROUTE_METRICS_ADDR", value_name = "HOST:PORT")]
        metrics_addr: Option<String>,
        /// Log format: text or json [default: text].
        #[arg(long, env = "MELDROUTE_LOG_FORMAT", value_name = "FORMAT")]
        log_format: Option<String>,
        /// Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client.
        #[arg(long, env = "MELDROUTE_TRUSTED_PROXIES", value_name = "LIST")]
        trusted_proxies: Option<String>,
        /// The address users reach the service at (https://HOST), for links sent by e-mail or shown as QR code
        /// [default: the host of each request].
        #[arg(long, env = "MELDROUTE_PUBLIC_URL", value_name = "URL")]
        public_url: Option<String>,
    },
    /// Bring the database schema up to date and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write a consistent, verified copy of the database while the server keeps running.
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The backup file to create (must not exist yet).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Replace the database by a backup. Stop the server first.
    Restore {
        #[command(flatten)]
        db: DbArgs,
        /// The backup file to restore.
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
        /// Overwrite a database that already holds data.
        #[arg(long)]
        force: bool,
    },
    /// Administration without the web interface.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Fill an empty database with synthetic, fictional data (for load tests and benchmarks).
    Seed {
        #[command(flatten)]
        db: DbArgs,
        /// Schools (locations); grouped into school boards of 1 to 15 schools.
        #[arg(long, value_name = "N")]
        schools: u32,
        /// Pupils per school.
        #[arg(long, default_value_t = 300, value_name = "P")]
        pupils_per_school: u32,
        /// Dossiers per school (about a quarter open, the rest closed over ten years).
        #[arg(long, default_value_t = 30, value_name = "D")]
        dossiers_per_school: u32,
        /// Entries per dossier (the meldcode's route plus extra signals, consultations and conversations).
        #[arg(long, default_value_t = 20, value_name = "E")]
        entries_per_dossier: u32,
        /// Seed of the generator: the same seed (and --as-of) gives the same data.
        #[arg(long, default_value_t = 1, value_name = "S")]
        seed: u64,
        /// The day the data is as of, YYYY-MM-DD [default: today].
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Tools for demo instances only.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// The afwegingskader (assessment framework) engine, for inspection and integration.
    Afwegingskader {
        #[command(subcommand)]
        command: AfwegingskaderCommand,
    },
    /// Read Dutch text on stdin and print it anonymised: names, addresses, postcodes, phone numbers, e-mail
    /// addresses, BSN and other numbers, places and schools replaced, exact dates made relative.
    Anonymize {
        /// A name to replace in every form (whole, first name, surname); may be repeated.
        #[arg(long = "name", value_name = "NAME")]
        names: Vec<String>,
        /// A place to replace; may be repeated.
        #[arg(long = "place", value_name = "PLACE")]
        places: Vec<String>,
        /// The date exact dates are made relative to (YYYY-MM-DD) [default: today].
        #[arg(long, value_name = "DATE")]
        reference_date: Option<String>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a user (by default an administrator, to bootstrap a new installation).
    CreateUser {
        #[command(flatten)]
        db: DbArgs,
        /// Organisation (school board) name; created when it does not exist yet.
        #[arg(long, value_name = "NAME")]
        org: String,
        /// Login name (unique in the installation).
        #[arg(long, value_name = "LOGIN")]
        login: String,
        /// Full name as shown to colleagues.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Role for the whole organisation: beheerder, directeur, bestuur, aandachtsfunctionaris,
        /// intern_begeleider, medewerker or externe_partner.
        #[arg(long, default_value = "beheerder", value_name = "ROLE")]
        role: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Personal API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a personal API token for an account and print it once.
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// The account the token acts for.
        #[arg(long, value_name = "LOGIN")]
        login: String,
        /// What the token is for.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Days until it expires (1 to 365).
        #[arg(long, default_value_t = token_cmd::DEFAULT_DAYS, value_name = "N")]
        days: u32,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the whole audit log against its hash chain; exits non-zero naming the first bad entry.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Print the current TOTP code of a demo account (refused for accounts with real data).
    Totp {
        #[command(flatten)]
        db: DbArgs,
        /// The demo login, e.g. leerkracht.po
        login: String,
    },
}

#[derive(Subcommand)]
enum AfwegingskaderCommand {
    /// Read answers as JSON on stdin and print the engine's outcome as JSON.
    ///
    /// Input: {"sector":"po","answers":{"q1":"ja","q2":"nee"},"disclosure":false}
    Evaluate,
    /// Print the flow of the five questions and the meldnormen.
    Explain,
}

impl DbArgs {
    fn overrides(&self) -> config::Overrides {
        config::Overrides {
            config: self.config.clone(),
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            ..Default::default()
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Afwegingskader { command } => afwegingskader(command),
        Command::Anonymize { names, places, reference_date } => anonymize(&names, &places, reference_date.as_deref()),
        command => {
            let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
            };
            match runtime.block_on(run(command)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => fail(&message),
            }
        }
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("meldroute: error: {message}");
    ExitCode::FAILURE
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Serve { db, demo, addr, metrics_addr, log_format, trusted_proxies, public_url } => {
            let over =
                config::Overrides { addr, metrics_addr, log_format, trusted_proxies, public_url, ..db.overrides() };
            serve::serve(config::resolve(&over)?, demo).await
        }
        Command::Migrate { db } => ops::migrate(config::resolve(&db.overrides())?).await,
        Command::Backup { db, out } => ops::backup(config::resolve(&db.overrides())?, &out).await,
        Command::Restore { db, from, force } => ops::restore(config::resolve(&db.overrides())?, &from, force).await,
        Command::Admin { command: AdminCommand::CreateUser { db, org, login, name, role, password_stdin } } => {
            let password = if password_stdin {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read the password: {e}"))?;
                Some(text.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            let settings = config::resolve(&db.overrides())?;
            admin::create_user(settings, admin::NewAccount { org, login, name, role, password }).await
        }
        Command::Admin { command: AdminCommand::Token { command: TokenCommand::Create { db, login, name, days } } } => {
            token_cmd::create(config::resolve(&db.overrides())?, &login, &name, days).await
        }
        Command::Audit { command: AuditCommand::Verify { db } } => {
            audit_cmd::verify(config::resolve(&db.overrides())?).await
        }
        Command::Demo { command: DemoCommand::Totp { db, login } } => {
            let settings = config::resolve(&db.overrides())?;
            let database = ops::open_migrated(&settings).await?;
            let code = demo::current_code(&database, &login).await;
            database.close().await;
            println!("{}", code?);
            Ok(())
        }
        Command::Seed {
            db,
            schools,
            pupils_per_school,
            dossiers_per_school,
            entries_per_dossier,
            seed,
            as_of,
            quiet,
        } => {
            let as_of = match as_of {
                Some(text) => Some(
                    time::Date::parse(&text, time::macros::format_description!("[year]-[month]-[day]"))
                        .map_err(|_| format!("--as-of '{text}' is not a date like 2026-11-22"))?,
                ),
                None => None,
            };
            let params = seed::Params {
                schools,
                pupils_per_school,
                dossiers_per_school,
                entries_per_dossier,
                seed,
                as_of,
                quiet,
            };
            seed::run(config::resolve(&db.overrides())?, params).await
        }
        Command::Afwegingskader { .. } | Command::Anonymize { .. } => Ok(()),
    }
}

fn afwegingskader(command: AfwegingskaderCommand) -> ExitCode {
    match command {
        AfwegingskaderCommand::Evaluate => {
            let mut input = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut input) {
                eprintln!("meldroute: error: cannot read standard input: {e}");
                return ExitCode::from(2);
            }
            match afwegingskader_cmd::evaluate(&input) {
                Ok(json) => {
                    println!("{json}");
                    ExitCode::SUCCESS
                }
                Err(message) => {
                    eprintln!("{message}");
                    ExitCode::from(2)
                }
            }
        }
        AfwegingskaderCommand::Explain => {
            println!("{}", afwegingskader_cmd::explain());
            ExitCode::SUCCESS
        }
    }
}

fn anonymize(names: &[String], places: &[String], reference_date: Option<&str>) -> ExitCode {
    let reference = match reference_date {
        Some(raw) => match anonymize_cmd::parse_date(raw) {
            Ok(d) => d,
            Err(message) => return fail(&message),
        },
        None => time::OffsetDateTime::now_utc().date(),
    };
    let mut input = String::new();
    let limit = anonymize_cmd::MAX_INPUT_BYTES as u64 + 1;
    if let Err(e) = std::io::stdin().take(limit).read_to_string(&mut input) {
        return fail(&format!("cannot read standard input as UTF-8 text: {e}"));
    }
    match anonymize_cmd::run(&input, names, places, reference) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(message) => fail(&message),
    }
}
