//! nasc-search's test suite (no Burn): genotype sites, sampling, mutation and concrete specs;
//! store races interleaved by hand.

mod genotypes;
mod races;
