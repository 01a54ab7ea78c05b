//! nasc-search's test suite (no Burn): genotype sites, sampling, mutation and concrete specs.

mod genotypes;
