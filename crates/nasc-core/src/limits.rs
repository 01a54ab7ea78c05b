//! Documented limits on everything a user's spec, flags or data can make large. Each is
//! checked *before* the work or allocation it bounds, and exceeding one is a coded
//! diagnostic (E028 for depth, E029 for size) or a usage error naming the limit and the
//! estimate. The table in docs/limits.md lists them; a test keeps the two in step.

/// Largest accepted source file, in bytes.
pub const MAX_SOURCE_BYTES: usize = 16 << 20;
/// Deepest nesting of brackets — `(`, `[` and `{` — in a source file.
pub const MAX_NESTING: usize = 128;
/// Deepest nesting of an expression tree (brackets, calls, lists, unary minus and changes
/// of operator precedence; a chain of one operator such as `a -> b -> c` or `1 + 2 + 3`
/// counts once however long it is).
pub const MAX_EXPR_DEPTH: usize = 192;
/// Most consecutive unary minus signs.
pub const MAX_PREFIX_RUN: usize = 64;
/// Most diagnostics rendered for people in one run (the rest are counted in a summary).
pub const MAX_RENDERED_DIAGNOSTICS: usize = 100;
/// Most diagnostics collected in one run; past it, checking stops with a summary.
pub const MAX_DIAGNOSTICS: usize = 1000;

/// Deepest nesting of block instantiations (a block using a block ...) and of motif levels.
pub const MAX_BLOCK_DEPTH: usize = 32;
/// Most ops one `repeat(...)` or list repetition may produce.
pub const MAX_REPEAT_OPS: usize = 100_000;
/// Most nodes of one motif and most cells of one cell stack.
pub const MAX_MOTIF_NODES: usize = 1_000;
/// Most blocks of a RegNet (`regnet(depth, ...)`) and of one AnyNet stage.
pub const MAX_REGNET_DEPTH: i64 = 1_000;
/// Most networks `nasc sample -n` draws, and the most draws `--max-draws` allows.
pub const MAX_SAMPLES: usize = 1_000_000;
pub const MAX_DRAWS: usize = 100_000_000;

/// Most nodes of one random or explicit graph.
pub const MAX_GRAPH_NODES: usize = 100_000;
/// Most generation work for one random graph: WS n*k/2 rewirings at O(k) each (n*k*k/2),
/// BA m*(n-m) draws, ER the n*(n-1)/2 pairs it tests.
pub const MAX_GRAPH_EDGES: u64 = 50_000_000;
/// Most edges of one explicit or generated graph (ER: the expected count n*(n-1)/2*p).
pub const MAX_GRAPH_KEPT_EDGES: u64 = 2_000_000;
/// Most IR nodes of one network.
pub const MAX_IR_NODES: usize = 4_000_000;

/// Largest channel or feature count (also the class count and input channels).
pub const MAX_CHANNELS: u64 = 1 << 20;
/// Largest spatial size (height or width) of any feature map, the input included.
pub const MAX_SPATIAL: u64 = 1 << 16;
/// Largest kernel side, stride, dilation or padding.
pub const MAX_KERNEL: u64 = 1024;
/// Most elements of one example's tensor at any node (2^31: 8 GiB in f32).
pub const MAX_TENSOR_ELEMENTS: u64 = 1 << 31;
/// Most learnable parameters of one network (2^34: 64 GiB in f32).
pub const MAX_PARAMS: u64 = 1 << 34;

/// Largest mini-batch.
pub const MAX_BATCH: usize = 1 << 16;
/// Most epochs.
pub const MAX_EPOCHS: usize = 1_000_000;
/// Most timed steps of `nasc bench`.
pub const MAX_BENCH_STEPS: usize = 1_000_000;
/// Most synthetic examples `--data synthetic` makes.
pub const MAX_SYNTHETIC: usize = 1 << 22;

/// Bytes of memory available to this process (Linux `MemAvailable`; unbounded elsewhere).
pub fn available_memory() -> usize {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<usize>().ok())
        })
        .map_or(usize::MAX, |kib| kib.saturating_mul(1024))
}

/// Nodes of one learned-wiring stage: it trains over all (N + 1)(N + 2) / 2 forward edges.
pub const MAX_LEARNED_NODES: u32 = 256;
