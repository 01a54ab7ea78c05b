//! The options every subcommand takes (`--set`, `--seed`, `--network`, the diagnostics'
//! format and colour, the optimisation level or pass list).

use crate::cli::args;
use crate::cli::error::CliError;
use clap::ValueEnum;

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub(crate) enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}

/// The global options, flattened into the command line of every subcommand.
#[derive(clap::Args, Debug)]
pub(crate) struct Global {
    /// Override a network parameter, e.g. --set C=154 (repeatable)
    #[arg(long = "set", value_name = "NAME=VALUE", global = true, value_parser = args::parse_kv, help_heading = "Global options")]
    pub(crate) set: Vec<(String, String)>,

    /// Seed for the random generators (sets the network's `seed` parameter if it has one)
    #[arg(long, global = true, value_name = "S", help_heading = "Global options")]
    pub(crate) seed: Option<u64>,

    /// Apply a preset of the network (`preset NAME(...)` in the spec) before --set; without
    /// --network, the network that defines it
    #[arg(long, global = true, value_name = "NAME", help_heading = "Global options")]
    pub(crate) preset: Option<String>,

    /// Network to compile when the file defines several
    #[arg(long, global = true, value_name = "NAME", help_heading = "Global options")]
    pub(crate) network: Option<String>,

    /// How to print diagnostics: for people, or one JSON object per line for editors
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human, help_heading = "Global options")]
    pub(crate) message_format: MessageFormat,

    /// Colour in diagnostics (auto = only when stderr is a terminal and NO_COLOR is unset)
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, help_heading = "Global options")]
    pub(crate) color: Color,

    /// Optimisation level: 0 = the IR as expanded, 1 = training-safe passes (the default),
    /// 2 = also inference-only passes (batch-norm folding, dropout removal)
    #[arg(short = 'O', long, global = true, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=2), help_heading = "Global options")]
    pub(crate) opt_level: Option<u8>,

    /// Run exactly these passes, in this order (comma-separated; see `nasc passes`)
    #[arg(
        long,
        global = true,
        value_name = "A,B,...",
        conflicts_with = "opt_level",
        help_heading = "Global options"
    )]
    pub(crate) passes: Option<String>,
}

impl Global {
    /// The checker's options: --set, --seed, --network, --preset.
    pub(crate) fn options(&self) -> nasc_core::check::Options {
        nasc_core::check::Options {
            overrides: self.set.clone(),
            seed: self.seed,
            network: self.network.clone(),
            preset: self.preset.clone(),
        }
    }

    /// The pass pipeline the flags ask for (default `-O1`).
    pub(crate) fn pipeline(&self) -> Result<Vec<&'static nasc_core::passes::Pass>, CliError> {
        match (&self.passes, self.opt_level) {
            (Some(list), _) => {
                nasc_core::passes::by_names(list).map_err(|e| CliError::Usage(e.to_string()))
            }
            (None, level) => {
                Ok(nasc_core::passes::level(level.unwrap_or(nasc_core::passes::DEFAULT_LEVEL)))
            }
        }
    }
}
