//! Value parsers of the command line's flags (clap's interface: `fn(&str) -> Result<T, String>`,
//! the message printed after clap's "invalid value ... for ...").

use nasc_core::limits;

fn parse_int_in(s: &str, lo: usize, hi: usize, what: &str) -> Result<usize, String> {
    match s.trim().parse::<i128>() {
        Ok(v) if v >= lo as i128 && v <= hi as i128 => Ok(v as usize),
        Ok(v) => Err(format!("{what} must be between {lo} and {hi}, got {v}")),
        Err(_) => Err(format!("{what} must be an integer, got `{s}`")),
    }
}

pub(crate) fn parse_epochs(s: &str) -> Result<usize, String> {
    parse_int_in(s, 1, limits::MAX_EPOCHS, "the number of epochs")
}

pub(crate) fn parse_batch(s: &str) -> Result<usize, String> {
    parse_int_in(s, 1, limits::MAX_BATCH, "the batch size")
}

pub(crate) fn parse_steps(s: &str) -> Result<usize, String> {
    parse_int_in(s, 1, limits::MAX_BENCH_STEPS, "the number of steps")
}

pub(crate) fn parse_limit(s: &str) -> Result<usize, String> {
    parse_int_in(s, 1, usize::MAX, "an image limit")
}

fn parse_float(s: &str, zero_ok: bool, what: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0)) => Ok(v),
        Ok(v) => Err(format!(
            "{what} must be a finite number {}, got {v}",
            if zero_ok { ">= 0" } else { "> 0" }
        )),
        Err(_) => Err(format!("{what} must be a number, got `{s}`")),
    }
}

pub(crate) fn parse_lr(s: &str) -> Result<f64, String> {
    parse_float(s, false, "the learning rate")
}

pub(crate) fn parse_decay(s: &str) -> Result<f32, String> {
    let v = parse_float(s, true, "the weight decay")?;
    if v > f32::MAX as f64 {
        return Err(format!("the weight decay must be a finite number >= 0, got {v}"));
    }
    Ok(v as f32)
}

/// `--set NAME=VALUE`.
pub(crate) fn parse_kv(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}

/// `nasc sample --count`.
pub(crate) fn parse_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=limits::MAX_SAMPLES).contains(&n) => Ok(n),
        _ => Err(format!("`{s}`: expected a count between 1 and {}", limits::MAX_SAMPLES)),
    }
}

/// `--store-timeout SECONDS`: how long a search's controller and workers keep retrying an
/// unreachable store (0: not at all).
pub(crate) fn store_timeout(s: &str) -> Result<std::time::Duration, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && (0.0..=86_400.0 * 7.0).contains(&x) => {
            Ok(std::time::Duration::from_secs_f64(x))
        }
        _ => Err(format!("`{s}`: expected seconds between 0 and 604800 (a week)")),
    }
}

/// `nasc sample --max-draws`.
pub(crate) fn parse_draws(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=limits::MAX_DRAWS).contains(&n) => Ok(n),
        _ => Err(format!("`{s}`: expected a number of draws between 1 and {}", limits::MAX_DRAWS)),
    }
}

/// A `nasc search --data` value `nasc train` accepts (checked here, not first by every
/// worker).
pub(crate) fn data_name(s: &str) -> Result<String, String> {
    use clap::ValueEnum;
    nasc_burn::data::DataKind::from_str(s, true)
        .map(|_| s.to_string())
        .map_err(|_| format!("`{s}` is not a data set: fashion-mnist, mnist, cifar10 or synthetic"))
}
