//! The error EDF of a sampled design space (papers.md §5): F(e) = fraction of models with
//! error < e, one curve per sample set, as CSV and as an SVG plot (plotters).

use plotters::prelude::*;
use std::path::{Path, PathBuf};

/// The test errors (in %) of one sample set.
#[derive(Debug, Clone)]
pub struct Set {
    pub label: String,
    pub errors: Vec<f64>,
}

/// Why a sample set cannot be read or drawn.
#[derive(Debug, thiserror::Error)]
pub enum EdfError {
    #[error("cannot read {}: {source}", path.display())]
    Open { path: PathBuf, source: csv::Error },
    #[error("{}: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{}: no `error` column (train the samples with `nasc sample ... --train`)", .0.display())]
    NoErrorColumn(PathBuf),
    #[error("{}: row {row}: {source}", path.display())]
    Row { path: PathBuf, row: usize, source: csv::Error },
    #[error("{}: row {row}: error `{value}` is not a number", path.display())]
    NotANumber { path: PathBuf, row: usize, value: String },
    #[error("{}: row {row}: error {value} is not a percentage", path.display())]
    NotAPercentage { path: PathBuf, row: usize, value: f64 },
    #[error("{}: no trained samples", .0.display())]
    Untrained(PathBuf),
    #[error("no errors to plot")]
    NothingToPlot,
    /// plotters' message.
    #[error("{0}")]
    Draw(String),
}

/// Reads the `error` column of a `nasc sample --train` summary (CSV).
pub fn read_set(path: &Path) -> Result<Set, EdfError> {
    let p = || path.to_path_buf();
    let mut rd =
        csv::Reader::from_path(path).map_err(|source| EdfError::Open { path: p(), source })?;
    let headers = rd.headers().map_err(|source| EdfError::Csv { path: p(), source })?.clone();
    let col =
        headers.iter().position(|h| h == "error").ok_or_else(|| EdfError::NoErrorColumn(p()))?;
    let mut errors = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let row = i + 2;
        let rec = rec.map_err(|source| EdfError::Row { path: p(), row, source })?;
        let v = rec.get(col).unwrap_or("");
        if v.is_empty() {
            continue; // not trained (failed or skipped)
        }
        let e: f64 =
            v.parse().map_err(|_| EdfError::NotANumber { path: p(), row, value: v.to_string() })?;
        if !(0.0..=100.0).contains(&e) {
            return Err(EdfError::NotAPercentage { path: p(), row, value: e });
        }
        errors.push(e);
    }
    if errors.is_empty() {
        return Err(EdfError::Untrained(p()));
    }
    // The set's name: the directory that holds the summary (runs/regnet/samples.csv -> regnet).
    let label = path
        .parent()
        .and_then(|p| p.file_name())
        .or_else(|| path.file_stem())
        .map_or_else(|| path.display().to_string(), |s| s.to_string_lossy().into_owned());
    Ok(Set { label, errors })
}

/// F(e) at every distinct error of the set: (e, fraction of models with error <= e). As a
/// step function, F jumps at each e; F(e) = fraction with error < e just below it.
pub fn edf(errors: &[f64]) -> Vec<(f64, f64)> {
    let mut v: Vec<f64> = errors.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (i, e) in v.iter().enumerate() {
        let f = (i + 1) as f64 / n;
        match out.last_mut() {
            Some(last) if last.0 == *e => last.1 = f,
            _ => out.push((*e, f)),
        }
    }
    out
}

/// The EDFs as CSV: set, error, fraction (one row per step).
pub fn csv_text(sets: &[Set]) -> String {
    let mut s = String::from("set,error,fraction\n");
    for set in sets {
        for (e, f) in edf(&set.errors) {
            s += &format!("{},{e},{f:.6}\n", set.label.replace(',', "_"));
        }
    }
    s
}

/// Draws the EDFs as one SVG: x = error (%), y = cumulative fraction of models.
pub fn plot_svg(sets: &[Set], title: &str) -> Result<String, EdfError> {
    let all: Vec<f64> = sets.iter().flat_map(|s| s.errors.iter().copied()).collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() || !hi.is_finite() {
        return Err(EdfError::NothingToPlot);
    }
    let pad = ((hi - lo) * 0.05).max(0.5);
    let (x0, x1) = ((lo - pad).max(0.0), (hi + pad).min(100.0));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 480)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| EdfError::Draw(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(x0..x1, 0.0..1.0)
            .map_err(|e| EdfError::Draw(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("error (%)")
            .y_desc("cumulative prob.")
            .draw()
            .map_err(|e| EdfError::Draw(e.to_string()))?;
        for (i, set) in sets.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            // A step function: flat until each error, then up.
            let mut pts = vec![(x0, 0.0)];
            let mut f_prev = 0.0;
            for (e, f) in edf(&set.errors) {
                pts.push((e, f_prev));
                pts.push((e, f));
                f_prev = f;
            }
            pts.push((x1, f_prev));
            let label = format!("{} (n={})", set.label, set.errors.len());
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(|e| EdfError::Draw(e.to_string()))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(|e| EdfError::Draw(e.to_string()))?;
        root.present().map_err(|e| EdfError::Draw(e.to_string()))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edf_steps_count_ties_once() {
        assert_eq!(edf(&[3.0, 1.0, 2.0, 2.0]), vec![(1.0, 0.25), (2.0, 0.75), (3.0, 1.0)]);
    }
}
