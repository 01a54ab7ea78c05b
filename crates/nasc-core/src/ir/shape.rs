//! The shape of a value in the IR (batch dimension omitted).

use serde::Serialize;

/// Output shape of a node, batch dimension omitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// A feature map: channels, height, width.
    Map { c: u32, h: u32, w: u32 },
    /// A feature vector.
    Vec { c: u32 },
}

impl Shape {
    pub fn channels(&self) -> u32 {
        match *self {
            Shape::Map { c, .. } | Shape::Vec { c } => c,
        }
    }
    pub fn numel(&self) -> u64 {
        match *self {
            Shape::Map { c, h, w } => c as u64 * h as u64 * w as u64,
            Shape::Vec { c } => c as u64,
        }
    }
    pub fn dims(&self) -> Vec<u32> {
        match *self {
            Shape::Map { c, h, w } => vec![c, h, w],
            Shape::Vec { c } => vec![c],
        }
    }
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Map { c, h, w } => write!(f, "[{c}, {h}, {w}]"),
            Shape::Vec { c } => write!(f, "[{c}]"),
        }
    }
}

impl Serialize for Shape {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.dims().serialize(s)
    }
}
