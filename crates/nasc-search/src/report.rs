//! What a store tells about its search, for `nasc search status | best | plot`: the state of
//! the search, the best genotype as a concrete spec, and fitness against evaluations as SVG.
//! Nothing here prints or writes files.

use crate::store::{Counts, Job, Store, StoreError};
use crate::{Evaluated, FitnessKind, SearchConfig, Strategy};

/// The state of a search.
#[derive(Debug, Clone)]
pub struct Status {
    pub strategy: Strategy,
    pub fitness: FitnessKind,
    /// The budget of evaluations.
    pub evaluations: usize,
    pub counts: Counts,
    /// Candidates rejected before training.
    pub rejected: Rejected,
    /// The fittest evaluated job.
    pub best: Option<Job>,
    pub running: Vec<Job>,
    pub failures: Vec<Job>,
    /// Evaluations finished per hour, between the first start and the last finish.
    pub evaluations_per_hour: f64,
    /// Whether the controller has stopped.
    pub finished: bool,
    /// Multi-fidelity: the scheduler and how far each rung got.
    pub fidelity: crate::fidelity::Fidelity,
    pub rungs: Vec<RungSummary>,
    /// `--strategy rl`: where the controller's learning stands (none before its first state).
    pub controller: Option<ControllerSummary>,
}

/// The RL controller's stored state, summarised.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ControllerSummary {
    pub kind: crate::rl::ControllerKind,
    /// Policy-gradient steps taken (the factorised policy steps once per result).
    pub updates: u64,
    /// Results learnt from.
    pub learnt: usize,
    pub baseline: Option<f64>,
}

/// The controller's state as the store holds it.
fn controller(store: &Store, cfg: &SearchConfig) -> Result<Option<ControllerSummary>, StoreError> {
    use crate::rl::ControllerKind;
    if cfg.strategy != Strategy::Rl {
        return Ok(None);
    }
    let kind = cfg.controller;
    let Some(json) = store.meta(kind.meta_key())? else { return Ok(None) };
    Ok(match kind {
        ControllerKind::Lstm => {
            serde_json::from_str::<crate::rl::LstmState>(&json).ok().map(|s| ControllerSummary {
                kind,
                updates: s.updates,
                learnt: s.consumed.len(),
                baseline: s.baseline,
            })
        }
        ControllerKind::Factorised => {
            serde_json::from_str::<crate::rl::Policy>(&json).ok().map(|p| ControllerSummary {
                kind,
                updates: p.consumed.len() as u64,
                learnt: p.consumed.len(),
                baseline: p.baseline,
            })
        }
    })
}

/// How many jobs of a bracket finished a rung, and how many of those went on.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RungSummary {
    pub bracket: usize,
    pub rung: usize,
    pub epochs: usize,
    pub results: usize,
    pub promoted: usize,
}

/// Rung results counted per bracket and rung.
pub fn rung_summary(
    f: &crate::fidelity::Fidelity,
    rows: &[crate::store::RungRow],
) -> Vec<RungSummary> {
    let epochs = f.rungs();
    let mut out = Vec::new();
    for b in 0..f.brackets() {
        for r in f.start_rung(b)..epochs.len() {
            let at = |r: usize| rows.iter().filter(|x| x.bracket == b && x.rung == r).count();
            out.push(RungSummary {
                bracket: b,
                rung: r,
                epochs: epochs[r],
                results: at(r),
                promoted: if r + 1 < epochs.len() { at(r + 1) } else { 0 },
            });
        }
    }
    out
}

/// Candidates rejected before training, by reason.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rejected {
    pub invalid: u64,
    pub over_budget: u64,
    pub duplicates: u64,
}

/// Reads the state of the search in `store`.
pub fn status(store: &Store) -> Result<Status, StoreError> {
    let (_, cfg) = store.search()?;
    let counts = store.counts()?;
    let jobs = store.jobs()?;
    let best = jobs
        .iter()
        .filter(|j| j.state == "done")
        .max_by(|a, b| a.fitness.unwrap_or(0.0).total_cmp(&b.fitness.unwrap_or(0.0)))
        .cloned();
    let first = jobs.iter().filter_map(|j| j.started).fold(f64::INFINITY, f64::min);
    let last = jobs.iter().filter_map(|j| j.finished).fold(0.0, f64::max);
    let evaluations_per_hour = if last > first && counts.done > 0 {
        counts.done as f64 / (last - first) * 3600.0
    } else {
        0.0
    };
    let of = |state: &str| jobs.iter().filter(|j| j.state == state).cloned().collect();
    let best = match store.best()? {
        Some(e) => jobs.iter().find(|j| j.id == e.id).cloned(),
        None => best,
    };
    let rungs = if cfg.fidelity.multi() {
        rung_summary(&cfg.fidelity, &store.rung_rows()?)
    } else {
        Vec::new()
    };
    Ok(Status {
        strategy: cfg.strategy,
        fitness: cfg.fitness,
        evaluations: cfg.evaluations,
        counts,
        rejected: Rejected {
            invalid: store.counter("invalid")?,
            over_budget: store.counter("over_budget")?,
            duplicates: store.counter("duplicates")?,
        },
        best,
        running: of("running"),
        failures: of("failed"),
        evaluations_per_hour,
        finished: store.meta("finished")?.as_deref() == Some("1"),
        controller: controller(store, &cfg)?,
        fidelity: cfg.fidelity,
        rungs,
    })
}

impl Status {
    /// The status as JSON (`nasc search status --json`).
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "strategy": self.strategy,
            "fitness": self.fitness,
            "evaluations": self.evaluations,
            "counts": self.counts,
            "rejected": {
                "invalid": self.rejected.invalid,
                "over_budget": self.rejected.over_budget,
                "duplicates": self.rejected.duplicates,
            },
            "best": self.best.as_ref().map(|b| serde_json::json!({
                "id": b.id,
                "fitness": b.fitness,
                "genotype": crate::key(&b.genotype),
                "params": b.params,
                "flops": b.flops,
            })),
            "running": self.running.iter().map(|j| serde_json::json!({
                "id": j.id,
                "worker": j.worker,
                "attempt": j.attempt,
                "since": j.started,
            })).collect::<Vec<_>>(),
            "failures": self.failures.iter().map(|j| serde_json::json!({
                "id": j.id,
                "error": j.error,
            })).collect::<Vec<_>>(),
            "evaluations_per_hour": self.evaluations_per_hour,
            "finished": self.finished,
            "scheduler": self.fidelity.scheduler,
            "rungs": self.rungs,
            "controller": self.controller,
        })
    }
}

/// The best genotype evaluated so far, written as a concrete spec (the search's spec with
/// every searched parameter set), with a header comment naming the search and the job.
pub fn best_spec(store: &Store) -> Result<String, StoreError> {
    let (source, cfg) = store.search()?;
    let top = store
        .best()?
        .ok_or_else(|| StoreError::Mismatch("no genotype has been evaluated yet".into()))?;
    concrete_spec(&source, &cfg, &top)
}

/// A front member as a concrete spec.
pub fn member_spec(source: &str, cfg: &SearchConfig, e: &Evaluated) -> Result<String, StoreError> {
    let base = cfg.options();
    let header = format!(
        "// A Pareto-front member of a `nasc search` (job {}: accuracy {:.4}, {} params, {} FLOPs, {} activations).\n",
        e.id, e.fitness, e.params, e.flops, e.activations
    );
    nasc_core::space::concrete_spec(source, &base, &e.genotype, &header)
        .ok_or_else(|| StoreError::Mismatch("cannot write a front member as a spec".into()))
}

fn concrete_spec(source: &str, cfg: &SearchConfig, top: &Evaluated) -> Result<String, StoreError> {
    let base = cfg.options();
    let header = format!(
        "// The best genotype of a `nasc search` ({:?}, job {}, fitness {:.4}).\n",
        cfg.strategy, top.id, top.fitness
    );
    nasc_core::space::concrete_spec(source, &base, &top.genotype, &header)
        .ok_or_else(|| StoreError::Mismatch("cannot write the best genotype as a spec".into()))
}

/// A failure of the plot's drawing.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PlotError(#[from] plotters::drawing::DrawingAreaErrorKind<std::io::Error>);

/// Fitness against evaluations, in finishing order (`done` as `Store::evaluated` returns it),
/// each evaluation and the best so far, as an SVG document. `done` must not be empty.
pub fn plot_svg(done: &[Evaluated]) -> Result<String, PlotError> {
    use plotters::prelude::*;
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
    {
        let root = SVGBackend::with_string(&mut svg, (720, 480)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("nasc search: fitness against evaluations", ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..(pts.len() as f64 + 1.0), (lo - pad)..(hi + pad))?;
        chart.configure_mesh().x_desc("evaluation").y_desc("fitness").draw()?;
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 3, BLUE.mix(0.5).filled())))?
            .label("each evaluation")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, BLUE.filled()));
        chart
            .draw_series(LineSeries::new(best_line, RED.stroke_width(2)))?
            .label("best so far")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}

/// Multi-fidelity: each job's learning curve (hold-out fitness after each rung's epochs), a
/// marker where it was promoted, as an SVG document. `rows` must not be empty.
pub fn curves_svg(rows: &[crate::store::RungRow], max_epochs: usize) -> Result<String, PlotError> {
    use plotters::prelude::*;
    let mut jobs: std::collections::BTreeMap<i64, Vec<(f64, f64, usize)>> = Default::default();
    for r in rows {
        jobs.entry(r.job).or_default().push((r.epochs as f64, r.fitness, r.rung));
    }
    let (lo, hi) = rows
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), r| (l.min(r.fitness), h.max(r.fitness)));
    let pad = ((hi - lo) * 0.05).max(1e-3);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 480)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("nasc search: learning curves by rung", ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..(max_epochs as f64 * 1.05 + 0.5), (lo - pad)..(hi + pad))?;
        chart.configure_mesh().x_desc("epochs").y_desc("hold-out fitness").draw()?;
        for pts in jobs.values_mut() {
            pts.sort_by_key(|p| p.2);
            let line: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
            chart.draw_series(LineSeries::new(line, BLUE.mix(0.35)))?;
            // A point that has a successor was promoted from there.
            let promoted = pts.iter().take(pts.len().saturating_sub(1));
            chart
                .draw_series(promoted.map(|p| TriangleMarker::new((p.0, p.1), 5, RED.filled())))?;
            if let Some(last) = pts.last() {
                chart.draw_series(std::iter::once(Circle::new(
                    (last.0, last.1),
                    2,
                    BLUE.filled(),
                )))?;
            }
        }
        root.present()?;
    }
    Ok(svg)
}

/// Multi-objective: every evaluated genotype's accuracy against `cost` (log scale), the
/// Pareto front marked and joined, as an SVG document. `done` must not be empty.
pub fn front_svg(
    done: &[Evaluated],
    objectives: &[crate::pareto::Objective],
    cost: crate::pareto::Objective,
) -> Result<String, PlotError> {
    use plotters::prelude::*;
    // Positive for the log scale (a latency can be under a millisecond); a genotype without
    // the measure (no latency recorded) is left out.
    let x = |e: &Evaluated| cost.cost(e).max(1e-6);
    let members = crate::pareto::front(done, objectives);
    let done: Vec<&Evaluated> = done.iter().filter(|e| x(e).is_finite()).collect();
    let mut line: Vec<(f64, f64)> =
        members.iter().filter(|e| x(e).is_finite()).map(|e| (x(e), e.fitness)).collect();
    line.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (xlo, xhi) = match done.iter().fold(None, |acc: Option<(f64, f64)>, e| {
        Some(acc.map_or((x(e), x(e)), |(l, h)| (l.min(x(e)), h.max(x(e)))))
    }) {
        Some((l, h)) if h > l => (l, h),
        Some((l, _)) => (l / 2.0, l * 2.0),
        None => (1.0, 10.0),
    };
    let (lo, hi) = done
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), e| (l.min(e.fitness), h.max(e.fitness)));
    let pad = ((hi - lo) * 0.05).max(1e-3);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 480)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("nasc search: accuracy against {}", cost.name()), ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((xlo * 0.8..xhi * 1.25).log_scale(), (lo - pad)..(hi + pad))?;
        chart.configure_mesh().x_desc(cost.name()).y_desc("accuracy").draw()?;
        chart
            .draw_series(
                done.iter().map(|e| Circle::new((x(e), e.fitness), 3, BLUE.mix(0.4).filled())),
            )?
            .label("evaluated")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, BLUE.filled()));
        chart
            .draw_series(LineSeries::new(line.clone(), RED.stroke_width(2)))?
            .label("Pareto front")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
        chart.draw_series(line.iter().map(|&p| Circle::new(p, 4, RED.filled())))?;
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()?;
        root.present()?;
    }
    Ok(svg)
}
