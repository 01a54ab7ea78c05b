//! `nasc search` (the controller, and `status` / `plot` / `best` of a store) and
//! `nasc worker` on the command line (papers.md §3).

use crate::cli::{Cli, print_diagnostics};
use nasc_search::store::{Store, StoreError};
use nasc_search::{self as search, FitnessKind, SearchConfig, Strategy, TrainSettings};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitCode};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct SearchArgs {
    #[command(subcommand)]
    what: Option<SearchCommand>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Subcommand, Debug)]
enum SearchCommand {
    /// Population, best so far, running jobs, failures, evaluations per hour
    Status {
        #[arg(long, value_name = "URL")]
        store: String,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Plot fitness against evaluations (each evaluation, and the best so far) as SVG
    Plot {
        #[arg(long, value_name = "URL")]
        store: String,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
    /// Write the best genotype found so far as a concrete .nas spec
    Best {
        #[arg(long, value_name = "URL")]
        store: String,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
pub(crate) struct RunArgs {
    /// The search space: a .nas file whose parameters have domains
    #[arg(required = true)]
    pub(crate) file: Option<PathBuf>,
    /// Where the queue and results live: sqlite:PATH (created if missing; an existing store
    /// of the same search continues where it stopped)
    #[arg(long, value_name = "URL", required = true)]
    store: Option<String>,
    /// How candidates are proposed
    #[arg(long, value_enum, default_value_t = Strategy::Evolution)]
    strategy: Strategy,
    /// Random genotypes before evolution starts; the aging population's size
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    population: u32,
    /// Fraction of the population drawn for each tournament (the paper: 5%)
    #[arg(long, default_value_t = 0.05)]
    tournament: f64,
    /// Evaluations in all (the budget)
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    evaluations: u32,
    /// Never queue a candidate with more parameters than this (e.g. 2M)
    #[arg(long, value_name = "N", value_parser = search::parse_cap)]
    max_params: Option<u64>,
    /// Never queue a candidate with more multiply-adds than this (e.g. 400M)
    #[arg(long, value_name = "N", value_parser = search::parse_cap)]
    max_flops: Option<u64>,
    /// How fitness is measured
    #[arg(long, value_enum, default_value_t = FitnessKind::Train)]
    fitness: FitnessKind,
    /// Local worker processes to start (0: only external `nasc worker`s evaluate)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=1024))]
    workers: u32,
    /// Seconds a worker's claim lasts without a heartbeat (then the job is re-queued)
    #[arg(long, default_value_t = 60.0)]
    lease: f64,
    /// Write the best genotype as a concrete spec here when the search ends
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Training fitness: data set (as `nasc train --data`: fashion-mnist, mnist, cifar10, synthetic)
    #[arg(long, default_value = "fashion-mnist", value_parser = data_name)]
    data: String,
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Training fitness: epochs per evaluation
    #[arg(long, default_value_t = 1)]
    epochs: usize,
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    /// Training fitness: train on the first N images (after the hold-out is taken)
    #[arg(long, value_name = "N")]
    limit_train: Option<usize>,
    /// Training fitness: validation images held out of the training set (the test set is
    /// never used)
    #[arg(long, value_name = "N", default_value_t = 5000)]
    holdout: usize,
    /// Training fitness: precise-BN images before the hold-out is evaluated (as `nasc train --precise-bn`)
    #[arg(long, value_name = "N", default_value_t = 2048)]
    precise_bn: usize,
    /// Synthetic fitness: milliseconds each evaluation takes
    #[arg(long, default_value_t = 0, hide = true)]
    synthetic_ms: u64,
    /// No progress output
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args, Debug)]
pub(crate) struct WorkerArgs {
    /// The search's store (as given to `nasc search --store`)
    #[arg(long, value_name = "URL")]
    store: String,
    /// Seconds a claim lasts without a heartbeat
    #[arg(long, default_value_t = 60.0)]
    lease: f64,
    /// Stop after this many seconds with nothing to do (default: when the search ends)
    #[arg(long, value_name = "SECONDS")]
    idle_exit: Option<f64>,
    /// This worker's name in the store (default: host:pid)
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    quiet: bool,
}

/// Store errors: a bad URL is a usage error (2); an unreachable or foreign store is 1.
/// A `--data` value `nasc train` accepts (checked here, not first by every worker).
fn data_name(s: &str) -> Result<String, String> {
    use clap::ValueEnum;
    nasc_burn::data::DataKind::from_str(s, true)
        .map(|_| s.to_string())
        .map_err(|_| format!("`{s}` is not a data set: fashion-mnist, mnist, cifar10 or synthetic"))
}

fn store_exit(e: &StoreError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(match e {
        StoreError::Url(_) => 2,
        _ => 1,
    })
}

pub(crate) fn worker(a: &WorkerArgs) -> Result<ExitCode, String> {
    if !(a.lease > 0.0 && a.lease.is_finite()) {
        return Err("--lease must be a positive number of seconds".into());
    }
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let name = a.name.clone().unwrap_or_else(|| format!("{host}:{}", std::process::id()));
    let o = search::worker::WorkerOptions {
        store: a.store.clone(),
        name,
        lease: a.lease,
        idle_exit: a.idle_exit,
        quiet: a.quiet,
    };
    match search::worker::run(&o, &BurnTrainer) {
        Ok(r) => {
            if !a.quiet {
                eprintln!(
                    "worker {}: {} evaluated, {} failed, {} lost to an expired lease",
                    o.name, r.done, r.failed, r.lost
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(store_exit(&e)),
    }
}

pub(crate) fn search(cli: &Cli, a: &SearchArgs) -> Result<ExitCode, String> {
    match &a.what {
        Some(SearchCommand::Status { store, json }) => status(store, *json),
        Some(SearchCommand::Plot { store, output }) => plot(store, output),
        Some(SearchCommand::Best { store, output }) => Ok(match best(store, output)? {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => store_exit(&e),
        }),
        None => run(cli, &a.run),
    }
}

fn config(cli: &Cli, r: &RunArgs) -> Result<SearchConfig, String> {
    if !(r.tournament > 0.0 && r.tournament <= 1.0) {
        return Err("--tournament must be a fraction in (0, 1]".into());
    }
    if !(r.lease > 0.0 && r.lease.is_finite()) {
        return Err("--lease must be a positive number of seconds".into());
    }
    if r.fitness == FitnessKind::Train && (r.epochs == 0 || r.batch_size == 0 || r.holdout == 0) {
        return Err("--epochs, --batch-size and --holdout must be at least 1".into());
    }
    Ok(SearchConfig {
        strategy: r.strategy,
        population: r.population as usize,
        tournament: r.tournament,
        evaluations: r.evaluations as usize,
        seed: cli.seed.unwrap_or(0),
        max_params: r.max_params,
        max_flops: r.max_flops,
        fitness: r.fitness,
        fixed: cli.set.clone(),
        network: cli.network.clone(),
        train: TrainSettings {
            data: r.data.clone(),
            data_dir: r.data_dir.as_ref().map(|d| d.display().to_string()),
            epochs: r.epochs,
            batch_size: r.batch_size,
            limit_train: r.limit_train,
            holdout: r.holdout,
            precise_bn: r.precise_bn,
            synthetic_ms: r.synthetic_ms,
        },
    })
}

fn spawn_workers(url: &str, n: u32, lease: f64) -> Result<Vec<Child>, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find nasc's own executable to start workers: {e}"))?;
    (0..n)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["worker", "--store", url, "--quiet", "--lease", &lease.to_string()])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start a worker: {e}"))
        })
        .collect()
}

fn run(cli: &Cli, r: &RunArgs) -> Result<ExitCode, String> {
    let (Some(path), Some(url)) = (&r.file, &r.store) else {
        return Err("nasc search needs a spec and --store URL".into());
    };
    let source = crate::cli::read_spec(path)?;
    let name = path.display().to_string();
    let cfg = config(cli, r)?;
    let space = match search::space(&source, &cfg) {
        Ok(s) => s,
        Err(d) => {
            print_diagnostics(cli, &d, &name, &source);
            return Ok(ExitCode::from(1));
        }
    };
    let file = nasc_core::syntax::parse(&source).map_err(|d| d.message)?;
    let (store, resumed) = match Store::create_or_resume(url, &source, &cfg) {
        Ok(s) => s,
        Err(e) => return Ok(store_exit(&e)),
    };
    let say = |s: String| {
        if !r.quiet {
            eprintln!("{s}");
        }
    };
    if resumed {
        let c = store.counts().map_err(|e| e.to_string())?;
        say(format!(
            "search: continuing {url}: {} evaluated, {} failed, {} queued, {} running",
            c.done, c.failed, c.queued, c.running
        ));
        store.set_meta("finished", "0").map_err(|e| e.to_string())?;
    }
    let sites = space.iter().filter(|p| p.site.is_some()).count();
    let what = if sites == 0 {
        format!("{} open parameters", space.len())
    } else {
        format!("{} open parameters and {sites} genotype sites", space.len() - sites)
    };
    say(format!(
        "search: {} over {what}, {} evaluations, {} local workers",
        format!("{:?}", cfg.strategy).to_lowercase(),
        cfg.evaluations,
        r.workers
    ));
    let mut children = spawn_workers(url, r.workers, r.lease)?;
    let result = control(&store, &file, &cfg, &space, r, &say);
    let _ = store.set_meta("finished", "1");
    for c in &mut children {
        let _ = c.wait();
    }
    if let Err(e) = result {
        return Ok(store_exit(&e));
    }
    let c = store.counts().map_err(|e| e.to_string())?;
    let (inv, over, dup) = (
        store.counter("invalid").unwrap_or(0),
        store.counter("over_budget").unwrap_or(0),
        store.counter("duplicates").unwrap_or(0),
    );
    say(format!(
        "search: {} evaluated, {} failed; candidates rejected before training: {inv} invalid, {over} over budget, {dup} duplicates",
        c.done, c.failed
    ));
    let Some(top) = store
        .evaluated()
        .map_err(|e| e.to_string())?
        .into_iter()
        .max_by(|a, b| a.fitness.total_cmp(&b.fitness))
    else {
        eprintln!(
            "error: no evaluation succeeded (see `nasc search status --store {url}` for the failures)"
        );
        return Ok(ExitCode::from(1));
    };
    say(format!(
        "search: best fitness {:.4} (job {}): {}",
        top.fitness,
        top.id,
        search::key(&top.genotype)
    ));
    if let Some(out) = &r.output {
        match best(url, out)? {
            Ok(()) => say(format!("search: wrote {}", out.display())),
            Err(e) => return Ok(store_exit(&e)),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The controller loop: keeps the queue fed (checked candidates only) until the budget of
/// evaluations has finished.
fn control(
    store: &Store,
    file: &nasc_core::syntax::File,
    cfg: &SearchConfig,
    space: &[nasc_core::check::ParamSpace],
    r: &RunArgs,
    say: &dyn Fn(String),
) -> Result<(), StoreError> {
    let started = Instant::now();
    let mut last_report = Instant::now();
    let mut fruitless = 0usize;
    // A bar on a terminal; plain lines every 10 s otherwise.
    let bar = (!r.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
        let b = indicatif::ProgressBar::new(cfg.evaluations as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "search [{bar:30.cyan/blue}] {pos}/{len} evaluations {msg} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    // The strategies' view, read incrementally: only results finished since the last look.
    let mut done: Vec<search::Evaluated> = Vec::new();
    let mut seen: std::collections::HashSet<i64> = std::collections::HashSet::new();
    let mut since = f64::NEG_INFINITY;
    loop {
        let c = store.counts()?;
        if let Some(b) = &bar {
            b.set_position(c.finished() as u64);
            let best = done.iter().map(|e| e.fitness).fold(f64::NAN, f64::max);
            b.set_message(format!(
                "({} running, {} failed{})",
                c.running,
                c.failed,
                if best.is_nan() { String::new() } else { format!(", best {best:.4}") }
            ));
        }
        if c.finished() >= cfg.evaluations {
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            return Ok(());
        }
        // Two jobs ahead per worker (local ones, and any that asked for work within a lease).
        let ahead = 2 * (r.workers as usize).max(store.active_workers(r.lease.max(5.0))?).max(1);
        let mut queued = c.queued;
        let mut total = c.total();
        if cfg.strategy != Strategy::Random {
            for (e, t) in store.evaluated_since(since)? {
                since = since.max(t);
                if seen.insert(e.id) {
                    done.push(e);
                }
            }
        }
        // One transaction per batch of proposals (one commit, not several per candidate).
        let fed = store.batch(|store| {
            let mut fed = 0usize;
            while total < cfg.evaluations && queued < ahead {
                let n = store.counter("proposals")?;
                store.bump("proposals")?;
                let mut rng = search::rng_for(cfg.seed, n);
                let (g, parent) = search::propose(cfg, space, &done, total, &mut rng);
                match search::check(file, cfg, &g) {
                    Ok(ch) => {
                        if store.enqueue(&g, parent, ch.params, ch.flops)? {
                            queued += 1;
                            total += 1;
                            fed += 1;
                            fruitless = 0;
                            continue;
                        }
                        store.bump("duplicates")?;
                    }
                    Err(search::Rejection::Invalid(_)) => store.bump("invalid")?,
                    Err(search::Rejection::Budget) => store.bump("over_budget")?,
                }
                fruitless += 1;
                if fruitless > nasc_core::limits::MAX_DRAWS.min(100_000) {
                    return Err(StoreError::Mismatch(format!(
                        "{fruitless} proposals in a row were invalid, over budget or already evaluated: the space has no new candidates under these settings ({total} queued or evaluated)"
                    )));
                }
                if fed + fruitless >= 256 {
                    break; // keep each transaction short; the next loop continues
                }
            }
            Ok(fed)
        })?;
        if bar.is_none() && last_report.elapsed() > Duration::from_secs(10) {
            last_report = Instant::now();
            say(format!(
                "search: {}/{} evaluated ({} failed), {} running, {:.0}s",
                c.done,
                cfg.evaluations,
                c.failed,
                c.running,
                started.elapsed().as_secs_f64()
            ));
        }
        if fed == 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn status(url: &str, json: bool) -> Result<ExitCode, String> {
    let store = match Store::open(url) {
        Ok(s) => s,
        Err(e) => return Ok(store_exit(&e)),
    };
    let report = (|| -> Result<serde_json::Value, StoreError> {
        let (_, cfg) = store.search()?;
        let c = store.counts()?;
        let jobs = store.jobs()?;
        let best = jobs
            .iter()
            .filter(|j| j.state == "done")
            .max_by(|a, b| a.fitness.unwrap_or(0.0).total_cmp(&b.fitness.unwrap_or(0.0)));
        let first = jobs.iter().filter_map(|j| j.started).fold(f64::INFINITY, f64::min);
        let last = jobs.iter().filter_map(|j| j.finished).fold(0.0, f64::max);
        let per_hour =
            if last > first && c.done > 0 { c.done as f64 / (last - first) * 3600.0 } else { 0.0 };
        Ok(serde_json::json!({
            "strategy": cfg.strategy,
            "fitness": cfg.fitness,
            "evaluations": cfg.evaluations,
            "counts": c,
            "rejected": {"invalid": store.counter("invalid")?, "over_budget": store.counter("over_budget")?, "duplicates": store.counter("duplicates")?},
            "best": best.map(|b| serde_json::json!({"id": b.id, "fitness": b.fitness, "genotype": search::key(&b.genotype), "params": b.params, "flops": b.flops})),
            "running": jobs.iter().filter(|j| j.state == "running").map(|j| serde_json::json!({"id": j.id, "worker": j.worker, "attempt": j.attempt, "since": j.started})).collect::<Vec<_>>(),
            "failures": jobs.iter().filter(|j| j.state == "failed").map(|j| serde_json::json!({"id": j.id, "error": j.error})).collect::<Vec<_>>(),
            "evaluations_per_hour": per_hour,
            "finished": store.meta("finished")?.as_deref() == Some("1"),
        }))
    })();
    let v = match report {
        Ok(v) => v,
        Err(e) => return Ok(store_exit(&e)),
    };
    if json {
        println!("{v}");
        return Ok(ExitCode::SUCCESS);
    }
    let c = &v["counts"];
    println!(
        "search {} ({} fitness), {} of {} evaluations finished{}",
        v["strategy"].as_str().unwrap_or("?"),
        v["fitness"].as_str().unwrap_or("?"),
        c["done"].as_u64().unwrap_or(0) + c["failed"].as_u64().unwrap_or(0),
        v["evaluations"],
        if v["finished"] == true { " (stopped)" } else { "" }
    );
    println!(
        "  evaluated {}, failed {}, running {}, queued {}",
        c["done"], c["failed"], c["running"], c["queued"]
    );
    println!(
        "  rejected before training: {} invalid, {} over budget, {} duplicates",
        v["rejected"]["invalid"], v["rejected"]["over_budget"], v["rejected"]["duplicates"]
    );
    println!("  evaluations per hour: {:.1}", v["evaluations_per_hour"].as_f64().unwrap_or(0.0));
    if let Some(b) = v["best"].as_object() {
        println!(
            "  best: job {} fitness {:.4} ({} params, {} FLOPs): {}",
            b["id"],
            b["fitness"].as_f64().unwrap_or(0.0),
            b["params"],
            b["flops"],
            b["genotype"].as_str().unwrap_or("")
        );
    }
    for j in v["running"].as_array().into_iter().flatten() {
        println!(
            "  running: job {} on {} (attempt {})",
            j["id"],
            j["worker"].as_str().unwrap_or("?"),
            j["attempt"]
        );
    }
    for j in v["failures"].as_array().into_iter().flatten() {
        println!("  failed: job {}: {}", j["id"], j["error"].as_str().unwrap_or(""));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the best genotype so far as a concrete spec.
fn best(url: &str, out: &std::path::Path) -> Result<Result<(), StoreError>, String> {
    let store = match Store::open(url) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let inner = || -> Result<(), StoreError> {
        let (source, cfg) = store.search()?;
        let top = store
            .evaluated()?
            .into_iter()
            .max_by(|a, b| a.fitness.total_cmp(&b.fitness))
            .ok_or_else(|| StoreError::Mismatch("no genotype has been evaluated yet".into()))?;
        let base = nasc_core::check::Options {
            overrides: cfg.fixed.clone(),
            seed: None,
            network: cfg.network.clone(),
        };
        let header = format!(
            "// The best genotype of a `nasc search` ({:?}, job {}, fitness {:.4}).\n",
            cfg.strategy, top.id, top.fitness
        );
        let text = nasc_core::space::concrete_spec(&source, &base, &top.genotype, &header)
            .ok_or_else(|| {
                StoreError::Mismatch("cannot write the best genotype as a spec".into())
            })?;
        nasc_core::fsutil::write_atomic(out, text.as_bytes())
            .map_err(|e| StoreError::Unreachable(format!("cannot write {}: {e}", out.display())))
    };
    Ok(inner())
}

fn plot(url: &str, out: &std::path::Path) -> Result<ExitCode, String> {
    use plotters::prelude::*;
    let store = match Store::open(url) {
        Ok(s) => s,
        Err(e) => return Ok(store_exit(&e)),
    };
    let done = match store.evaluated() {
        Ok(d) => d,
        Err(e) => return Ok(store_exit(&e)),
    };
    if done.is_empty() {
        eprintln!("error: nothing evaluated yet");
        return Ok(ExitCode::from(1));
    }
    let pts: Vec<(f64, f64)> =
        done.iter().enumerate().map(|(i, e)| ((i + 1) as f64, e.fitness)).collect();
    let mut best = f64::NEG_INFINITY;
    let best_line: Vec<(f64, f64)> = pts
        .iter()
        .map(|&(x, y)| {
            best = best.max(y);
            (x, best)
        })
        .collect();
    let (lo, hi) =
        pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(p.1), h.max(p.1)));
    let pad = ((hi - lo) * 0.05).max(1e-3);
    let mut svg = String::new();
    let drawn = (|| -> Result<(), String> {
        let root = SVGBackend::with_string(&mut svg, (720, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption("nasc search: fitness against evaluations", ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..(pts.len() as f64 + 1.0), (lo - pad)..(hi + pad))
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("evaluation")
            .y_desc("fitness")
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 3, BLUE.mix(0.5).filled())))
            .map_err(|e| e.to_string())?
            .label("each evaluation")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, BLUE.filled()));
        chart
            .draw_series(LineSeries::new(best_line, RED.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label("best so far")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())
    })();
    drawn?;
    nasc_core::fsutil::write_atomic(out, svg.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!("wrote {} ({} evaluations)", out.display(), pts.len());
    Ok(ExitCode::SUCCESS)
}

/// `train` fitness of a search worker: a short `nasc train` run on nasc-burn's CPU backend,
/// evaluated on a hold-out of the training set (the test set is never read).
struct BurnTrainer;

impl search::worker::Trainer for BurnTrainer {
    fn holdout_accuracy(
        &self,
        ir: &nasc_core::ir::Ir,
        settings: &search::TrainSettings,
        seed: u64,
        out: &Path,
    ) -> Result<f64, String> {
        use clap::ValueEnum;
        use nasc_burn::settings::{Optimizer, Schedule};
        let data = nasc_burn::data::DataKind::from_str(&settings.data, true)
            .map_err(|e| format!("data set `{}`: {e}", settings.data))?;
        let tc = nasc_burn::train::TrainConfig {
            data,
            data_dir: settings.data_dir.as_ref().map(PathBuf::from),
            epochs: settings.epochs,
            batch_size: settings.batch_size,
            lr: 0.003,
            optimizer: Optimizer::Adam,
            schedule: Schedule::Cosine,
            weight_decay: 0.0,
            backend: nasc_burn::device::Backend::Flex,
            out: Some(out.to_path_buf()),
            runs_root: std::env::temp_dir(),
            resume: false,
            force: true,
            seed,
            limit_train: settings.limit_train,
            limit_test: None,
            holdout: Some(settings.holdout),
            precise_bn: settings.precise_bn,
            progress: false,
            halt_after: None,
        };
        let m = nasc_burn::train::train(ir, &tc).map_err(|e| e.to_string())?;
        if !m.train_loss.is_finite() {
            return Err(format!("training diverged (loss {})", m.train_loss));
        }
        Ok(m.test_accuracy)
    }
}
