//! nasc-core's test suite (one binary; links no Burn and no database): golden files of every
//! spec, example and diagnostic, the generators, the verifier, the language's published
//! figures, design spaces, the optimiser's pass levels, and panics on broken input.

mod generators;
mod golden;
mod layers;
mod no_panic;
mod passes;
mod space;
mod v2;
mod verify;
