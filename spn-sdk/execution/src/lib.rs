//! Execute blocks and calls on revm over any [`StateView`](spn_primitives::StateView).
//!
//! A block runs against a per-block overlay that caches every read and records every write;
//! the overlay becomes the block's [`StateChangeset`](spn_primitives::StateChangeset), which
//! storage commits in one batch. Chains add precompiles and pre-block system calls through
//! [`ChainExtensions`].

mod call;
mod env;
mod error;
mod executor;
mod extensions;
mod overlay;
mod sandbox;

pub use call::{CallOutcome, CallRequest};
pub use env::BlockInput;
pub use error::{CallError, ExecError};
pub use executor::{ExecutedBlock, Executor};
pub use extensions::{ChainExtensions, DerivationError, NoExtensions, SystemCall};
pub use revm;
pub use sandbox::{predeploy, Outcome, Predeploy, Sandbox};
