//! Hold pending transactions: validate, order by sender nonce and fee, bound and evict.
//!
//! The pool is generic over the transaction type ([`PoolTransaction`]) and reads account
//! state through [`AccountReader`], so it has no IO and no dependency on the node's types.
//!
//! Each sender's transactions are kept in nonce order. The consecutive run that starts at the
//! account nonce and that the balance can pay for is *pending*; everything after a nonce gap
//! (or beyond what the balance covers) is *queued* and is promoted automatically once the gap
//! is filled or the account state changes.
//!
//! [`Mempool`] is internally synchronized: share it behind an `Arc` between RPC threads
//! (which call [`Mempool::add`]) and the block producer (which calls [`Mempool::best`],
//! [`Mempool::on_block_committed`] and [`Mempool::remove`]).

mod admission;
mod ordering;
mod pool;
mod pool_state;
mod recovered;
mod sender;
mod transaction;

#[cfg(test)]
mod tests;

pub use admission::{AddOutcome, Config, PoolError};
pub use pool::Mempool;
pub use transaction::{AccountReader, PoolTransaction, MIN_TX_GAS};
