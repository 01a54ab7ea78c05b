//! `nasc build FILE`: compile a spec and emit it (text IR, JSON IR, Graphviz DOT, its motifs,
//! a Burn model crate with a converted record, or a standalone PyTorch module with its weights).

use crate::cli::common::read_spec;
use crate::cli::common::record_error;
use crate::cli::common::{self, Compiled, write_output};
use crate::cli::error::CliError;
use crate::cli::export::{Export, export, export_pipeline};
use crate::cli::global::Global;
use clap::ValueEnum;
use nasc_core::passes::{self, Pass};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct BuildArgs {
    /// The .nas file
    file: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = Emit::Ir)]
    emit: Emit,
    /// Output file (default: standard output), or directory for --emit burn. Written only
    /// if compilation succeeds.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// With --emit burn: convert this record (e.g. runs/latest/model.bpk from `nasc train`)
    /// into OUT/model.bpk for the generated model; with --emit pytorch: into a safetensors
    /// file beside OUT (model.py -> model.safetensors) that the module loads with strict=True
    #[arg(long, value_name = "FILE", requires = "output")]
    weights: Option<PathBuf>,
    /// Print, per pass, nodes, edges, parameters and FLOPs before and after, and its time
    /// (on stderr)
    #[arg(long)]
    opt_report: bool,
    /// Emit the IR as it is right after this pass (the pipeline stops there)
    #[arg(long, value_name = "PASS")]
    dump_after: Option<String>,
    /// With --emit burn: replace the crate (and record) a previous build wrote into OUT
    #[arg(long)]
    force: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum Emit {
    /// Readable text IR, one line per node
    Ir,
    /// A standalone PyTorch module (one Python file, `torch` its only import; needs -o FILE)
    Pytorch,
    /// An ONNX model (opset 17, symbolic batch), -O2 unless -O/--passes says otherwise;
    /// needs -o FILE. Without --weights its initializers are the seeded initial weights
    Onnx,
    /// JSON IR (schema: docs/ir-json.md)
    Json,
    /// Graphviz DOT, stages as clusters
    Dot,
    /// A Rust crate with a Burn model (needs -o DIR)
    Burn,
    /// The network's motifs as spec text (`let NAME = motif(...)`), to edit or search
    Motifs,
}

pub(crate) fn run(cli: &Global, a: &BuildArgs) -> Result<ExitCode, CliError> {
    let source = read_spec(&a.file)?;
    let pipeline = pipeline(cli, a)?;
    let c = match common::compile(cli, &a.file, source, &pipeline) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if let (true, Some(report)) = (a.opt_report, &c.out.report) {
        eprint!("{}", report.table());
    }
    let text = match a.emit {
        Emit::Ir => nasc_core::emit::text::emit(&c.ir, &c.source),
        Emit::Json => nasc_core::emit::json::emit(&c.ir),
        Emit::Dot => nasc_core::emit::dot::emit(&c.ir),
        Emit::Motifs => match c.out.motifs() {
            m if m.is_empty() => format!("// network {} uses no motifs\n", c.ir.network),
            m => m,
        },
        Emit::Burn => return burn(cli, &c, &pipeline, a),
        Emit::Pytorch | Emit::Onnx => {
            let kind = if a.emit == Emit::Onnx { Export::Onnx } else { Export::Pytorch };
            let Some(out) = a.output.as_deref() else {
                return Err(CliError::Usage(format!(
                    "--emit {} writes a file: give it with -o FILE",
                    kind.name()
                )));
            };
            return export(cli, &c, &pipeline, kind, out, a.weights.as_deref());
        }
    };
    write_output(a.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// The passes to compile with: the flags' pipeline, cut after `--dump-after PASS`; a Burn
/// crate is generated at -O1 or -O2 only.
fn pipeline(cli: &Global, a: &BuildArgs) -> Result<Vec<&'static Pass>, CliError> {
    let mut pipeline = match a.emit {
        Emit::Onnx => export_pipeline(cli, Export::Onnx)?,
        _ => cli.pipeline()?,
    };
    if let Some(pass) = &a.dump_after {
        let Some(at) = pipeline.iter().position(|p| p.name == pass) else {
            let run: Vec<&str> = pipeline.iter().map(|p| p.name).collect();
            return Err(CliError::Usage(format!(
                "--dump-after {pass}: that pass is not in the pipeline ({})",
                if run.is_empty() { "none at -O0".to_string() } else { run.join(", ") }
            )));
        };
        pipeline.truncate(at + 1);
    } else if a.emit == Emit::Burn {
        let names = |v: &[&Pass]| v.iter().map(|p| p.name).collect::<Vec<_>>();
        if names(&pipeline) != names(&passes::level(1))
            && names(&pipeline) != names(&passes::level(2))
        {
            return Err(CliError::Usage("--emit burn generates code at -O1 (the default: the layout `nasc train` records use, for training) or -O2 (an inference export); drop --passes".into()));
        }
    }
    Ok(pipeline)
}

/// `--emit burn`: a Burn crate in the -o directory, with `--weights` converted into it first
/// (a bad record must not leave a half-written crate).
fn burn(
    cli: &Global,
    c: &Compiled,
    pipeline: &[&Pass],
    a: &BuildArgs,
) -> Result<ExitCode, CliError> {
    let Some(dir) = a.output.as_deref() else {
        return Err(CliError::Usage(
            "--emit burn writes a crate: give its directory with -o DIR".into(),
        ));
    };
    if !a.force {
        refuse_existing_crate(dir)?;
    }
    let generated = nasc_burn::codegen::generate(&c.ir, &c.name);
    if let Some(w) = &a.weights {
        std::fs::create_dir_all(dir)
            .map_err(|source| CliError::Create { path: dir.to_path_buf(), source })?;
        let out = dir.join("model.bpk");
        // An -O2 export converts a record of the -O1 model (what `nasc train` saved).
        let trained = (pipeline.len() != passes::level(1).len())
            .then(|| nasc_core::compile(&c.source, &c.opts).ok().and_then(|c| c.ir))
            .flatten();
        let converted = match &trained {
            Some(src) => nasc_burn::codegen::export_record(src, &c.ir, &generated, w, &out),
            None => nasc_burn::codegen::remap_record(&c.ir, &generated, w, &out),
        };
        // A record that does not fit the spec is bad input: E045, exit 1.
        let n = match converted {
            Ok(n) => n,
            Err(e) => return Ok(record_error(cli, &c.name, &c.source, e.to_string())),
        };
        eprintln!("converted {n} tensors from {} into {}", w.display(), out.display());
    }
    nasc_burn::codegen::write_crate(&c.ir, &generated, dir)?;
    eprintln!("wrote crate {} (model type `{}`)", dir.display(), generated.model_type);
    Ok(ExitCode::SUCCESS)
}

/// A directory that already holds files a build writes (a generated crate, its record) is
/// refused, so that a build never replaces one without a word (`--force` replaces it).
fn refuse_existing_crate(dir: &Path) -> Result<(), CliError> {
    let ours = [
        "Cargo.toml",
        "README.md",
        "src/lib.rs",
        "src/model.rs",
        "src/kernels/mod.rs",
        "model.bpk",
    ];
    let found: Vec<&str> = ours.iter().copied().filter(|f| dir.join(f).exists()).collect();
    if found.is_empty() {
        return Ok(());
    }
    Err(CliError::CrateExists { dir: dir.to_path_buf(), what: found.join(", ") })
}
