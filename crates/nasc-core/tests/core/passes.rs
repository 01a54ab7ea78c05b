//! The optimiser's pass levels, and the IR before and after it for representative specs.
//! That optimised models compute what unoptimised ones do is nasc-burn's test
//! (tests/burn/passes.rs).

use nasc_core::passes::{self, Safety};
use nasc_test_support::{check_golden, root, spec_options};

#[test]
fn levels_hold_the_passes_they_say() {
    assert!(passes::level(0).is_empty());
    assert!(passes::level(1).iter().all(|p| p.safety == Safety::Training));
    assert!(passes::level(2).iter().any(|p| p.safety == Safety::Inference));
    assert_eq!(passes::level(2).len(), passes::PASSES.len());
    assert!(passes::by_names("cse,nope").unwrap_err().to_string().contains("unknown pass `nope`"));
}

/// The IR before and after the optimiser, for representative specs (review changes).
#[test]
fn ir_dumps_before_and_after_match_golden() {
    let mut failures = Vec::new();
    for stem in ["randwire_ws_fmnist", "darts_fmnist", "resnet_blocks"] {
        let dir =
            if root().join(format!("specs/{stem}.nas")).exists() { "specs" } else { "examples" };
        let src = std::fs::read_to_string(root().join(format!("{dir}/{stem}.nas"))).unwrap();
        for level in [0u8, 2] {
            let ir = nasc_core::compile_with(&src, &spec_options(&src), &passes::level(level))
                .unwrap()
                .ir
                .unwrap();
            failures.extend(check_golden(
                &root().join(format!("tests/golden/passes/{stem}.O{level}.ir")),
                &nasc_core::emit::text::emit(&ir, &src),
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
