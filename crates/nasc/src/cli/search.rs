//! `nasc search`: the controller of a search (papers.md §3), and `status` / `plot` / `best`
//! of a store. The search itself (controller loop, reports) is nasc-search's; this module
//! starts local workers, shows progress and prints.

use crate::cli::args;
use crate::cli::common::print_diagnostics;
use crate::cli::common::read_spec;
use crate::cli::common::write_file;
use crate::cli::error::CliError;
use crate::cli::global::Global;
use nasc_search::controller::Controller;
use nasc_search::fidelity::{Fidelity, Scheduler};
use nasc_search::pareto::Objective;
use nasc_search::report::{self, Status};
use nasc_search::rl::{ControllerKind, PolicyError, PolicyNet, PolicyNets};
use nasc_search::store::{Counts, Store};
use nasc_search::{FitnessKind, SearchConfig, Strategy, TrainSettings};
use std::io::IsTerminal;
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
    /// Multi-objective search: the Pareto front of what was evaluated, one concrete .nas spec
    /// per member in DIR and front.csv (accuracy and each objective)
    Front {
        #[arg(long, value_name = "URL")]
        store: String,
        #[arg(short = 'o', long = "output", value_name = "DIR")]
        output: PathBuf,
    },
    /// Write the best genotype found so far as a concrete .nas spec (or, with --emit, as a
    /// PyTorch module or an ONNX model)
    Best {
        #[arg(long, value_name = "URL")]
        store: String,
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// Export the best network instead of writing its spec: `pytorch` (the module; train
        /// it in PyTorch) or `onnx` (seeded initial weights)
        #[arg(long, value_enum, value_name = "FORMAT")]
        emit: Option<crate::cli::export::Export>,
    },
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The search space: a .nas file whose parameters have domains
    #[arg(required = true)]
    file: Option<PathBuf>,
    /// Where the queue and results live: sqlite:PATH (created if missing; an existing store
    /// of the same search continues where it stopped)
    #[arg(long, value_name = "URL", required = true)]
    store: Option<String>,
    /// How candidates are proposed
    #[arg(long, value_enum, default_value_t = Strategy::Evolution)]
    strategy: Strategy,
    /// `--strategy rl`: NASNet's LSTM controller (each decision conditioned on the earlier
    /// ones; Burn, Adam) or one independent softmax per decision
    #[arg(long, value_enum, default_value_t = ControllerKind::Lstm)]
    controller: ControllerKind,
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
    #[arg(long, value_name = "N", value_parser = nasc_search::parse_cap)]
    max_params: Option<u64>,
    /// Never queue a candidate with more multiply-adds than this (e.g. 400M)
    #[arg(long, value_name = "N", value_parser = nasc_search::parse_cap)]
    max_flops: Option<u64>,
    /// How fitness is measured
    #[arg(long, value_enum, default_value_t = FitnessKind::Train)]
    fitness: FitnessKind,
    /// Local worker processes to start (0: only external `nasc worker`s evaluate)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=1024))]
    workers: u32,
    /// Back end the local workers train and time candidates on (`nasc worker --backend`)
    #[arg(long, value_enum, default_value_t = nasc_burn::device::Backend::Flex)]
    backend: nasc_burn::device::Backend,
    /// Seconds a worker's claim lasts without a heartbeat (then the job is re-queued)
    #[arg(long, default_value_t = 60.0)]
    lease: f64,
    /// Seconds the controller and its local workers keep retrying an unreachable store (a
    /// database restart, a locked file), reconnecting with backoff, before they give up
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = args::store_timeout)]
    store_timeout: std::time::Duration,
    /// Multi-fidelity evaluation: every candidate trained for --epochs (fixed), or rung by
    /// rung from --min-epochs to --max-epochs, the best 1/--reduction of each rung promoted
    /// (successive-halving: once the rung is complete; asha: as soon as results allow;
    /// hyperband: successive halving in brackets that start at successive rungs)
    #[arg(long, value_enum, default_value_t = Scheduler::Fixed)]
    scheduler: Scheduler,
    /// Multi-fidelity: epochs of the first rung
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    min_epochs: u32,
    /// Multi-fidelity: epochs of the last rung (the learning-rate schedule's length)
    #[arg(long, default_value_t = 9, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    max_epochs: u32,
    /// Multi-fidelity: each rung trains `reduction` times longer and keeps 1/`reduction`
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(2..=100))]
    reduction: u32,
    /// What to optimise, comma-separated: accuracy and any of params, flops, activations,
    /// latency (inference ms per image, measured by each worker on its back end; more than one
    /// objective keeps a Pareto front; `search front` writes it)
    #[arg(long, value_enum, value_delimiter = ',', default_value = "accuracy")]
    objectives: Vec<Objective>,
    /// Hyperband: how many brackets, from the most exploratory (default: one per rung)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100))]
    brackets: Option<u32>,
    /// Write the best genotype as a concrete spec here when the search ends
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Training fitness: data set (as `nasc train --data`: fashion-mnist, mnist, cifar10, synthetic)
    #[arg(long, default_value = "fashion-mnist", value_parser = args::data_name)]
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

impl RunArgs {
    /// Prints a progress line unless --quiet.
    fn say(&self, line: String) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }
}

pub(crate) fn run(cli: &Global, a: &SearchArgs) -> Result<ExitCode, CliError> {
    match &a.what {
        Some(SearchCommand::Status { store, json }) => status(store, *json),
        Some(SearchCommand::Plot { store, output }) => plot(store, output),
        Some(SearchCommand::Front { store, output }) => front(store, output),
        Some(SearchCommand::Best { store, output, emit: None }) => {
            best(store, output)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(SearchCommand::Best { store, output, emit: Some(kind) }) => {
            best_export(cli, store, output, *kind)
        }
        None => search(cli, &a.run),
    }
}

fn config(cli: &Global, r: &RunArgs) -> Result<SearchConfig, CliError> {
    if cli.preset.is_some() {
        return Err(CliError::Usage(
            "`nasc search` does not take --preset; fix parameters with --set".into(),
        ));
    }
    if !(r.tournament > 0.0 && r.tournament <= 1.0) {
        return Err(CliError::Usage("--tournament must be a fraction in (0, 1]".into()));
    }
    if !(r.lease > 0.0 && r.lease.is_finite()) {
        return Err(CliError::Usage("--lease must be a positive number of seconds".into()));
    }
    if r.scheduler != Scheduler::Fixed && r.min_epochs > r.max_epochs {
        return Err(CliError::Usage("--min-epochs must not exceed --max-epochs".into()));
    }
    if !r.objectives.contains(&Objective::Accuracy) {
        return Err(CliError::Usage(
            "--objectives must include accuracy (what a worker measures)".into(),
        ));
    }
    let mut objectives = r.objectives.clone();
    objectives.dedup();
    if r.scheduler == Scheduler::Fixed && r.brackets.is_some() {
        return Err(CliError::Usage("--brackets needs --scheduler hyperband".into()));
    }
    if r.fitness == FitnessKind::Train && (r.epochs == 0 || r.batch_size == 0 || r.holdout == 0) {
        return Err(CliError::Usage(
            "--epochs, --batch-size and --holdout must be at least 1".into(),
        ));
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
        fidelity: Fidelity {
            scheduler: r.scheduler,
            min_epochs: r.min_epochs as usize,
            max_epochs: r.max_epochs as usize,
            reduction: r.reduction as usize,
            brackets: r.brackets.map(|b| b as usize),
        },
        objectives,
        controller: r.controller,
    })
}

fn spawn_workers(url: &str, n: u32, r: &RunArgs) -> Result<Vec<Child>, CliError> {
    let exe = std::env::current_exe().map_err(CliError::OwnExe)?;
    let (lease, timeout) = (r.lease.to_string(), r.store_timeout.as_secs_f64().to_string());
    (0..n)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["worker", "--store", url, "--quiet", "--lease", &lease])
                .args(["--store-timeout", &timeout, "--backend", r.backend.name()])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .spawn()
                .map_err(CliError::Spawn)
        })
        .collect()
}

/// `nasc search SPACE --store URL`: creates or continues the search, starts the local
/// workers, feeds the queue until the budget is evaluated, and reports the best genotype.
fn search(cli: &Global, r: &RunArgs) -> Result<ExitCode, CliError> {
    let (Some(path), Some(url)) = (&r.file, &r.store) else {
        return Err(CliError::Usage("nasc search needs a spec and --store URL".into()));
    };
    let source = read_spec(path)?;
    let cfg = config(cli, r)?;
    if r.workers > 0 {
        r.backend
            .device()
            .map_err(|e| CliError::Usage(format!("--backend {}: {e}", r.backend.name())))?;
    }
    let space = match nasc_search::space(&source, &cfg) {
        Ok(s) => s,
        Err(d) => {
            print_diagnostics(cli, &d, &path.display().to_string(), &source);
            return Ok(ExitCode::from(1));
        }
    };
    let file = nasc_core::syntax::parse(&source).map_err(|d| CliError::Parse(d.message))?;
    let (store, resumed) = Store::create_or_resume(url, &source, &cfg)?;
    store.set_timeout(r.store_timeout);
    if resumed {
        let c = store.counts().map_err(CliError::SearchStore)?;
        r.say(format!(
            "search: continuing {url}: {} evaluated, {} failed, {} queued, {} running",
            c.done, c.failed, c.queued, c.running
        ));
        store.set_meta("finished", "0").map_err(CliError::SearchStore)?;
    }
    let sites = space.iter().filter(|p| p.site.is_some()).count();
    let what = if sites == 0 {
        format!("{} open parameters", space.len())
    } else {
        format!("{} open parameters and {sites} genotype sites", space.len() - sites)
    };
    r.say(format!(
        "search: {} over {what}, {} evaluations, {} local workers",
        format!("{:?}", cfg.strategy).to_lowercase(),
        cfg.evaluations,
        r.workers
    ));
    let mut children = spawn_workers(url, r.workers, r)?;
    let controller = Controller {
        store: &store,
        file: &file,
        cfg: &cfg,
        space: &space,
        workers: r.workers as usize,
        lease: r.lease,
        nets: Some(&BurnPolicies),
    };
    let result = controller.run(&mut progress(r.quiet, cfg.evaluations));
    let _ = store.set_meta("finished", "1");
    for c in &mut children {
        let _ = c.wait();
    }
    result?;
    // The search is over: no promotion will continue a paused job's checkpoint.
    store.drop_checkpoints().map_err(CliError::SearchStore)?;
    finish(&store, url, r)
}

/// NASNet's LSTM controller, in Burn (nasc-burn's `policy`), for `--strategy rl`.
struct BurnPolicies;
struct BurnPolicy(nasc_burn::policy::LstmPolicy);

impl PolicyNet for BurnPolicy {
    fn sample(&self, uniform: &mut dyn FnMut() -> f64) -> Vec<usize> {
        self.0.sample(uniform)
    }
    fn update(&mut self, batch: &[(Vec<usize>, f64)]) -> Result<(), PolicyError> {
        self.0.update(batch).map_err(|e| PolicyError(Box::new(e)))
    }
    fn save(&self) -> Result<(Vec<u8>, Vec<u8>), PolicyError> {
        self.0.save().map_err(|e| PolicyError(Box::new(e)))
    }
}

impl PolicyNets for BurnPolicies {
    fn create(&self, sizes: &[usize], seed: u64) -> Box<dyn PolicyNet> {
        Box::new(BurnPolicy(nasc_burn::policy::LstmPolicy::new(sizes, seed)))
    }
    fn load(
        &self,
        sizes: &[usize],
        net: &[u8],
        optim: &[u8],
    ) -> Result<Box<dyn PolicyNet>, PolicyError> {
        let p = nasc_burn::policy::LstmPolicy::load(sizes, net, optim)
            .map_err(|e| PolicyError(Box::new(e)))?;
        Ok(Box::new(BurnPolicy(p)))
    }
}

/// The controller's progress: a bar on a terminal; plain lines every 10 s otherwise.
fn progress(quiet: bool, evaluations: usize) -> impl FnMut(&Counts, Option<f64>) {
    let started = Instant::now();
    let mut last_report = Instant::now();
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(evaluations as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "search [{bar:30.cyan/blue}] {pos}/{len} evaluations {msg} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    move |c: &Counts, best: Option<f64>| {
        let finished = c.finished() >= evaluations;
        if let Some(b) = &bar {
            b.set_position(c.finished() as u64);
            b.set_message(format!(
                "({} running, {} failed{})",
                c.running,
                c.failed,
                best.map_or(String::new(), |best| format!(", best {best:.4}"))
            ));
            if finished {
                b.finish_and_clear();
            }
        } else if !finished && last_report.elapsed() > Duration::from_secs(10) {
            last_report = Instant::now();
            if !quiet {
                eprintln!(
                    "search: {}/{evaluations} evaluated ({} failed), {} running, {:.0}s",
                    c.done,
                    c.failed,
                    c.running,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
}

/// The end of a search: what was evaluated and rejected, the best genotype (written to -o).
fn finish(store: &Store, url: &str, r: &RunArgs) -> Result<ExitCode, CliError> {
    let c = store.counts().map_err(CliError::SearchStore)?;
    let (inv, over, dup) = (
        store.counter("invalid").unwrap_or(0),
        store.counter("over_budget").unwrap_or(0),
        store.counter("duplicates").unwrap_or(0),
    );
    let (_, cfg) = store.search().map_err(CliError::SearchStore)?;
    if cfg.fidelity.multi() {
        let rows = store.rung_rows().map_err(CliError::SearchStore)?;
        r.say(format!(
            "search: {} configurations, {} trained to the full {} epochs, {} stopped early, {} failed; {}",
            c.total(),
            c.done,
            cfg.fidelity.max_epochs,
            c.paused,
            c.failed,
            rungs_text(&report::rung_summary(&cfg.fidelity, &rows))
        ));
    }
    r.say(format!(
        "search: {} evaluated, {} failed; candidates rejected before training: {inv} invalid, {over} over budget, {dup} duplicates",
        c.done, c.failed
    ));
    let Some(top) = store.best().map_err(CliError::SearchStore)? else {
        return Err(CliError::NoSuccess(url.to_string()));
    };
    r.say(format!(
        "search: best fitness {:.4} (job {}): {}",
        top.fitness,
        top.id,
        nasc_search::key(&top.genotype)
    ));
    if cfg.objectives.len() > 1 {
        let finals = store.finals().map_err(CliError::SearchStore)?;
        let members = nasc_search::pareto::front(&finals, &cfg.objectives);
        r.say(format!(
            "search: Pareto front of {} ({}): {} of {} evaluated (`nasc search front --store {url} -o DIR` writes them)",
            cfg.objectives.iter().map(|o| o.name()).collect::<Vec<_>>().join(", "),
            "accuracy up, the rest down",
            members.len(),
            finals.len()
        ));
    }
    if let Some(out) = &r.output {
        best(url, out)?;
        r.say(format!("search: wrote {}", out.display()));
    }
    Ok(ExitCode::SUCCESS)
}

/// `nasc search status`: the search's state as text or JSON.
fn status(url: &str, json: bool) -> Result<ExitCode, CliError> {
    let store = Store::open(url)?;
    let s = report::status(&store)?;
    if json {
        println!("{}", s.json());
    } else {
        print_status(&s);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_status(s: &Status) {
    // As JSON would show them: a number that is not finite as 0.
    let finite = |x: Option<f64>| x.filter(|x| x.is_finite()).unwrap_or(0.0);
    let c = &s.counts;
    println!(
        "search {} ({} fitness), {} of {} evaluations finished{}",
        s.strategy.name(),
        s.fitness.name(),
        c.finished(),
        s.evaluations,
        if s.finished { " (stopped)" } else { "" }
    );
    println!(
        "  evaluated {}, failed {}, running {}, queued {}",
        c.done, c.failed, c.running, c.queued
    );
    println!(
        "  rejected before training: {} invalid, {} over budget, {} duplicates",
        s.rejected.invalid, s.rejected.over_budget, s.rejected.duplicates
    );
    println!("  evaluations per hour: {:.1}", finite(Some(s.evaluations_per_hour)));
    if s.fidelity.multi() {
        println!(
            "  {} (reduction {}), {} stopped early: {}",
            s.fidelity.scheduler.name(),
            s.fidelity.reduction,
            c.paused,
            rungs_text(&s.rungs)
        );
    }
    if let Some(r) = &s.controller {
        println!(
            "  RL controller ({}): {} updates, learnt from {} results, baseline {}",
            match r.kind {
                nasc_search::rl::ControllerKind::Lstm => "LSTM",
                nasc_search::rl::ControllerKind::Factorised => "factorised",
            },
            r.updates,
            r.learnt,
            r.baseline.map_or("-".to_string(), |b| format!("{b:.4}"))
        );
    }
    if let Some(b) = &s.best {
        println!(
            "  best: job {} fitness {:.4} ({} params, {} FLOPs): {}",
            b.id,
            finite(b.fitness),
            b.params,
            b.flops,
            nasc_search::key(&b.genotype)
        );
    }
    for j in &s.running {
        println!(
            "  running: job {} on {} (attempt {})",
            j.id,
            j.worker.as_deref().unwrap_or("?"),
            j.attempt
        );
    }
    for j in &s.failures {
        println!("  failed: job {}: {}", j.id, j.error.as_deref().unwrap_or(""));
    }
}

/// `bracket 0: 27 at 1 epoch, 10 at 3, 4 at 9; bracket 1: ...`
fn rungs_text(rungs: &[report::RungSummary]) -> String {
    let mut out: Vec<String> = Vec::new();
    for r in rungs {
        let epochs =
            if r.epochs == 1 { "1 epoch".to_string() } else { format!("{} epochs", r.epochs) };
        let part = format!("{} at {epochs}", r.results);
        match out.last_mut() {
            Some(last) if rungs.iter().any(|x| x.bracket == r.bracket && x.rung + 1 == r.rung) => {
                *last = format!("{last} -> {part}");
            }
            _ => out.push(format!("bracket {}: {part}", r.bracket)),
        }
    }
    out.join("; ")
}

/// `nasc search best` (and `nasc search -o`): the best genotype so far as a concrete spec.
fn best(url: &str, out: &Path) -> Result<(), CliError> {
    let store = Store::open(url)?;
    let text = report::best_spec(&store)?;
    nasc_core::fsutil::write_atomic(out, text.as_bytes())
        .map_err(|source| CliError::WriteBest { path: out.to_path_buf(), source })
}

/// `nasc search best --emit pytorch|onnx`: the best genotype so far, compiled and exported.
fn best_export(
    cli: &Global,
    url: &str,
    out: &Path,
    kind: crate::cli::export::Export,
) -> Result<ExitCode, CliError> {
    let store = Store::open(url)?;
    let text = report::best_spec(&store)?;
    let pipeline = crate::cli::export::export_pipeline(cli, kind)?;
    let name = Path::new("best.nas");
    let c = match crate::cli::common::compile(cli, name, text, &pipeline) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    crate::cli::export::export(cli, &c, &pipeline, kind, out, None)
}

/// `nasc search front`: one concrete spec per Pareto-front member, and front.csv.
fn front(url: &str, dir: &Path) -> Result<ExitCode, CliError> {
    let store = Store::open(url)?;
    let (source, cfg) = store.search()?;
    let finals = store.finals()?;
    let members = nasc_search::pareto::front(&finals, &cfg.objectives);
    if members.is_empty() {
        return Err(CliError::NothingEvaluated);
    }
    std::fs::create_dir_all(dir)
        .map_err(|source| CliError::WriteBest { path: dir.to_path_buf(), source })?;
    let mut csv = String::from(
        "file,job,accuracy,params,flops,activations,latency_ms,latency_batch_ms,machine,genotype\n",
    );
    for e in &members {
        let name = format!("front_{:04}.nas", e.id);
        let text = report::member_spec(&source, &cfg, e)?;
        let path = dir.join(&name);
        nasc_core::fsutil::write_atomic(&path, text.as_bytes())
            .map_err(|source| CliError::WriteBest { path, source })?;
        let (single, batch, machine) = match &e.latency {
            Some(l) => {
                (l.single_ms.to_string(), l.batch_ms.to_string(), l.machine.replace('"', "'"))
            }
            None => Default::default(),
        };
        csv += &format!(
            "{name},{},{},{},{},{},{single},{batch},\"{machine}\",\"{}\"\n",
            e.id,
            e.fitness,
            e.params,
            e.flops,
            e.activations,
            nasc_search::key(&e.genotype)
        );
        let latency = e.latency.as_ref().map_or(String::new(), |l| {
            format!(", {:.3} ms/image, {:.2} ms/batch", l.single_ms, l.batch_ms)
        });
        println!(
            "{name}: job {} accuracy {:.4}, {} params, {} FLOPs, {} activations{latency}",
            e.id, e.fitness, e.params, e.flops, e.activations
        );
    }
    let path = dir.join("front.csv");
    nasc_core::fsutil::write_atomic(&path, csv.as_bytes())
        .map_err(|source| CliError::WriteBest { path, source })?;
    eprintln!(
        "wrote {} front members of {} evaluated ({}) and {}",
        members.len(),
        finals.len(),
        cfg.objectives.iter().map(|o| o.name()).collect::<Vec<_>>().join(", "),
        dir.join("front.csv").display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `nasc search plot`: fitness against evaluations as SVG.
fn plot(url: &str, out: &Path) -> Result<ExitCode, CliError> {
    let store = Store::open(url)?;
    let (_, cfg) = store.search()?;
    if cfg.fidelity.multi() {
        let rows = store.rung_rows()?;
        if rows.is_empty() {
            return Err(CliError::NothingEvaluated);
        }
        let svg = report::curves_svg(&rows, cfg.fidelity.max_epochs)?;
        write_file(out, svg.as_bytes())?;
        eprintln!("wrote {} (learning curves of {} rung results)", out.display(), rows.len());
        return Ok(ExitCode::SUCCESS);
    }
    let done = store.evaluated()?;
    if done.is_empty() {
        return Err(CliError::NothingEvaluated);
    }
    if let Some(&cost) = cfg.objectives.iter().find(|o| **o != Objective::Accuracy) {
        let finals = store.finals()?;
        let svg = report::front_svg(&finals, &cfg.objectives, cost)?;
        write_file(out, svg.as_bytes())?;
        eprintln!("wrote {} (accuracy against {}, the front marked)", out.display(), cost.name());
        return Ok(ExitCode::SUCCESS);
    }
    let svg = report::plot_svg(&done)?;
    write_file(out, svg.as_bytes())?;
    eprintln!("wrote {} ({} evaluations)", out.display(), done.len());
    Ok(ExitCode::SUCCESS)
}
