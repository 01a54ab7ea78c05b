//! The controller of a search: keeps the queue fed with checked candidates (never an invalid,
//! over-budget or already evaluated one) until the budget of evaluations has finished. It
//! prints nothing; its caller follows it through a callback (the `nasc` program draws a
//! progress bar, or prints a line every 10 seconds).

use crate::fidelity::RungResult;
use crate::store::{Counts, Store, StoreError};
use crate::{Evaluated, Rejection, SearchConfig, Strategy};
use nasc_core::check::ParamSpace;
use std::collections::HashMap;
use std::time::Duration;

/// A search to drive: its store, the parsed spec, its configuration and space.
pub struct Controller<'a> {
    pub store: &'a Store,
    pub file: &'a nasc_core::syntax::File,
    pub cfg: &'a SearchConfig,
    pub space: &'a [ParamSpace],
    /// Local workers the caller started: the queue is kept two jobs ahead of each of them,
    /// or of each worker that asked for work within `lease` seconds, if there are more.
    pub workers: usize,
    /// Seconds a worker's claim lasts without a heartbeat.
    pub lease: f64,
    /// `--strategy rl --controller lstm`: the back end's policy networks.
    pub nets: Option<&'a dyn crate::rl::PolicyNets>,
}

/// The strategies' view of the results, read incrementally: only results finished since the
/// last look.
struct View {
    done: Vec<Evaluated>,
    /// Where each job is in `done` (a multi-fidelity job finishes again at each rung: its
    /// fitness is then updated in place).
    seen: HashMap<i64, usize>,
    since: f64,
    /// Proposals in a row that were invalid, over budget or duplicates.
    fruitless: usize,
    /// `--strategy rl`: the controller, and the jobs it has learnt from.
    policy: Option<crate::rl::Controller>,
    learnt: std::collections::HashSet<i64>,
}

impl View {
    fn read(&mut self, store: &Store) -> Result<(), StoreError> {
        for (e, t) in store.evaluated_since(self.since)? {
            self.since = self.since.max(t);
            match self.seen.get(&e.id) {
                Some(&i) => self.done[i].fitness = e.fitness,
                None => {
                    self.seen.insert(e.id, self.done.len());
                    self.done.push(e);
                }
            }
        }
        Ok(())
    }

    /// The best fitness read so far.
    fn best(&self) -> Option<f64> {
        let best = self.done.iter().map(|e| e.fitness).fold(f64::NAN, f64::max);
        (!best.is_nan()).then_some(best)
    }
}

impl Controller<'_> {
    /// Runs until `cfg.evaluations` evaluations have finished (done or failed). `progress` is
    /// called at the start of every round, the last one included, with the job counts and
    /// the best fitness read so far (`None` before the first result, and always for random
    /// search, which reads no results).
    pub fn run(&self, progress: &mut dyn FnMut(&Counts, Option<f64>)) -> Result<(), StoreError> {
        let policy = self.policy()?;
        let learnt = policy.as_ref().map(|p| p.consumed()).unwrap_or_default();
        let mut view = View {
            done: Vec::new(),
            seen: HashMap::new(),
            since: f64::NEG_INFINITY,
            fruitless: 0,
            policy,
            learnt,
        };
        let mut decided: Option<Counts> = None;
        let mut looked = std::time::Instant::now();
        loop {
            let mut c = self.store.counts()?;
            // Multi-fidelity: promote what the scheduler promotes whenever a rung result or a
            // job's stage changed since the last look — at most ten looks a second (each reads
            // the rung table) unless the queue ran dry and workers wait.
            let due = looked.elapsed() >= Duration::from_millis(100) || c.queued == 0;
            if self.cfg.fidelity.multi() && decided != Some(c) && due {
                looked = std::time::Instant::now();
                if self.promote()? > 0 {
                    c = self.store.counts()?;
                }
                decided = Some(c);
            }
            progress(&c, view.best());
            if self.over(&c, decided) {
                return Ok(());
            }
            // Two jobs ahead per worker (local ones, and any that asked for work within a lease).
            let active = self.store.active_workers(self.lease.max(5.0))?;
            let ahead = 2 * self.workers.max(active).max(1);
            if self.cfg.strategy != Strategy::Random {
                view.read(self.store)?;
            }
            // One transaction per batch of proposals (one commit, not several per candidate).
            let fed = self.store.batch(|store| self.feed(store, &mut view, &c, ahead))?;
            if fed == 0 {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// `--strategy rl`: the controller the store holds (a restarted controller continues it),
    /// or a new one.
    fn policy(&self) -> Result<Option<crate::rl::Controller>, StoreError> {
        use crate::rl::{Controller, ControllerKind, LstmController, Policy};
        if self.cfg.strategy != Strategy::Rl {
            return Ok(None);
        }
        let unreadable = |e: String| {
            StoreError::Mismatch(format!("the store's RL controller state is unreadable: {e}"))
        };
        Ok(Some(match self.cfg.controller {
            ControllerKind::Factorised => {
                Controller::Factorised(match self.store.meta(self.cfg.controller.meta_key())? {
                    Some(json) => {
                        serde_json::from_str(&json).map_err(|e| unreadable(e.to_string()))?
                    }
                    None => Policy::new(self.space),
                })
            }
            ControllerKind::Lstm => {
                let Some(nets) = self.nets else {
                    return Err(StoreError::Mismatch(
                        "this program has no LSTM controller (--controller factorised does not need one)".into(),
                    ));
                };
                let state = self.store.meta(self.cfg.controller.meta_key())?;
                let c = LstmController::new(self.space, nets, self.cfg.seed, state.as_deref())
                    .map_err(|e| unreadable(e.to_string()))?;
                Controller::Lstm(c)
            }
        }))
    }

    /// `--strategy rl`: learns from the results not learnt from yet (in the order they were
    /// read) and keeps the state in the store, in the caller's transaction.
    fn learn(&self, store: &Store, view: &mut View) -> Result<(), StoreError> {
        let View { done, policy, learnt, .. } = view;
        let Some(p) = policy else { return Ok(()) };
        let new: Vec<(i64, &crate::Genotype, f64)> = done
            .iter()
            .filter(|e| learnt.insert(e.id))
            .map(|e| (e.id, &e.genotype, e.fitness))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        let failed = |e: crate::rl::PolicyError| StoreError::Mismatch(e.to_string());
        p.learn(self.space, &new).map_err(failed)?;
        let state = p.state().map_err(failed)?;
        fault_pause_in_update();
        store.set_meta(p.key(), &state)
    }

    /// Whether the search is over: every evaluation finished (multi-fidelity: every
    /// configuration proposed, nothing queued or running, and — as the last look found — no
    /// promotion left).
    fn over(&self, c: &Counts, decided: Option<Counts>) -> bool {
        if self.cfg.fidelity.multi() {
            c.total() >= self.cfg.evaluations
                && c.queued == 0
                && c.running == 0
                && decided == Some(*c)
        } else {
            c.finished() >= self.cfg.evaluations
        }
    }

    /// Applies the scheduler's promotions; how many there were.
    fn promote(&self) -> Result<usize, StoreError> {
        let results: Vec<RungResult> = self
            .store
            .rung_rows()?
            .into_iter()
            .map(|r| RungResult {
                job: r.job,
                bracket: r.bracket,
                rung: r.rung,
                fitness: r.fitness,
            })
            .collect();
        let jobs = self.store.job_rungs()?;
        let mut n = 0;
        for (job, rung) in self.cfg.fidelity.promotions(&results, &jobs, self.cfg.evaluations) {
            if self.store.promote(job, rung)? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Proposes, checks and queues candidates until `ahead` are queued or the budget is
    /// proposed; returns how many were queued.
    fn feed(
        &self,
        store: &Store,
        view: &mut View,
        c: &Counts,
        ahead: usize,
    ) -> Result<usize, StoreError> {
        self.learn(store, view)?;
        let (mut queued, mut total, mut fed) = (c.queued, c.total(), 0usize);
        while total < self.cfg.evaluations && queued < ahead {
            let n = store.counter("proposals")?;
            store.bump("proposals")?;
            let mut rng = crate::rng_for(self.cfg.seed, n);
            let (g, parent) = match &view.policy {
                Some(p) => (p.sample(self.space, &mut rng), None),
                None => crate::propose(self.cfg, self.space, &view.done, total, &mut rng),
            };
            match crate::check(self.file, self.cfg, &g) {
                Ok(ch) => {
                    let f = &self.cfg.fidelity;
                    let bracket = f.bracket_of(total);
                    let slot = if f.multi() { (bracket, f.start_rung(bracket)) } else { (0, 0) };
                    if store.enqueue(&g, parent, &ch, slot)? {
                        queued += 1;
                        total += 1;
                        fed += 1;
                        view.fruitless = 0;
                        continue;
                    }
                    store.bump("duplicates")?;
                }
                Err(Rejection::Invalid(_)) => store.bump("invalid")?,
                Err(Rejection::Budget) => store.bump("over_budget")?,
            }
            view.fruitless += 1;
            if view.fruitless > nasc_core::limits::MAX_DRAWS.min(100_000) {
                return Err(StoreError::Mismatch(format!(
                    "{} proposals in a row were invalid, over budget or already evaluated: the space has no new candidates under these settings ({total} queued or evaluated)",
                    view.fruitless
                )));
            }
            if fed + view.fruitless >= 256 {
                break; // keep each transaction short; the next round continues
            }
        }
        Ok(fed)
    }
}

/// Fault injection for the tests (`NASC_FAULT_RL_UPDATE=FILE`): in the middle of the third RL
/// update of the process (the third time it learns from new results) — the network has
/// stepped, its new state is not yet stored, the transaction is open — create FILE and
/// stall, so a test can SIGKILL the controller there.
fn fault_pause_in_update() {
    static UPDATES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Some(path) = std::env::var_os("NASC_FAULT_RL_UPDATE") else { return };
    if UPDATES.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 2 {
        let _ = std::fs::write(path, b"");
        std::thread::sleep(Duration::from_secs(120));
    }
}
