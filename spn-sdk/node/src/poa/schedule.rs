//! Validator sets that change as the chain grows: the set deciding height h is read from a
//! block [`SET_LAG`] heights earlier (e.g. the mainnet Registry epoch that block's derivation
//! names), so every validator installs the same set at the same height, one height before it
//! is decided.

use spn_consensus::poa::ValidatorSet;
use spn_primitives::Header;
use std::future::Future;
use std::pin::Pin;

/// How many heights before it is decided a height's set is fixed: the set of height h is
/// `set_after(header of h − SET_LAG)`. Two, so it is known as soon as h − 1 is being decided
/// and the engine can verify messages for h that arrive early.
pub const SET_LAG: u64 = 2;

/// What [`ValidatorSchedule::set_after`] answers with.
pub type SetFuture<'a> = Pin<Box<dyn Future<Output = Result<ValidatorSet, String>> + Send + 'a>>;

/// Where a `poa` chain's validator sets come from when they change while it runs.
pub trait ValidatorSchedule: Send + Sync {
    /// The set deciding height `header.number + SET_LAG`, from committed block `header`. An
    /// error (e.g. the mainnet unreachable) is retried: the chain waits rather than guess.
    fn set_after<'a>(&'a self, header: &'a Header) -> SetFuture<'a>;
}
