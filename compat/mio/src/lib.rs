//! ferrio under the name `mio`, so that `[patch.crates-io] mio = { path = ... }` switches a
//! whole dependency tree to ferrio. Everything is re-exported unchanged; see ferrio's docs.
#![deny(missing_docs)]

pub use ferrio::*;
