//! Decide when blocks are built and committed, as pure state machines: events in, actions out.
//!
//! A consensus engine never performs IO. The node's shell feeds it [`Event`]s (a timer fired,
//! transactions arrived, a block was built or committed) and carries out the [`Action`]s it
//! returns (schedule a timer, build a block, commit it). That makes every engine runnable
//! under a seeded simulation with no network, clock or disk.
//!
//! Engines: [`Solo`] (one sequencer), [`bft::Bft`] (every validator proposes a batch; see the module) and [`poa::Poa`] (rotating proposer, finality by more
//! than two thirds of a validator set), which has its own events and actions
//! ([`poa::PoaEvent`], [`poa::PoaAction`]) because it also exchanges signed messages.

pub mod bft;
mod codec;
pub mod poa;
mod solo;

pub use solo::{Solo, SoloConfig};

/// Something that happened, reported to the engine by the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The node started; `head` is the latest committed block number.
    Started {
        /// Latest committed block.
        head: u64,
    },
    /// A timer scheduled with [`Action::ScheduleTimeout`] fired.
    Timeout {
        /// The timer's id.
        id: u64,
    },
    /// The pool holds executable transactions.
    TransactionsPending,
    /// The block requested by [`Action::BuildBlock`] was built and executed.
    BlockBuilt {
        /// Its number.
        number: u64,
        /// Its hash.
        hash: [u8; 32],
        /// How many transactions it holds.
        tx_count: usize,
    },
    /// Building the requested block failed.
    BuildFailed {
        /// Its number.
        number: u64,
    },
    /// The block was durably committed.
    BlockCommitted {
        /// Its number.
        number: u64,
    },
    /// Someone asked for a block now, even an empty one (`evm_mine` on a dev chain).
    MineRequested,
}

/// Something the engine asks the node to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Fire [`Event::Timeout`] with `id` after `after_ms` milliseconds.
    ScheduleTimeout {
        /// Timer id, echoed back.
        id: u64,
        /// Delay in milliseconds.
        after_ms: u64,
    },
    /// Build and execute block `number` from the pool (it may be empty).
    BuildBlock {
        /// The block number.
        number: u64,
        /// Whether an empty block is acceptable (interval mode) or should be skipped.
        allow_empty: bool,
    },
    /// The built block is final: commit it.
    CommitBlock {
        /// The block number.
        number: u64,
        /// Its hash.
        hash: [u8; 32],
    },
    /// Drop the built block (e.g. empty in on-demand mode) without committing.
    DiscardBlock {
        /// The block number.
        number: u64,
    },
}

/// A consensus engine: a deterministic function from events to actions.
pub trait Consensus: Send + 'static {
    /// A short name (`solo`, `poa`, `bft`).
    fn name(&self) -> &'static str;
    /// Handles one event and returns the actions to perform, in order.
    fn on_event(&mut self, event: Event) -> Vec<Action>;
}
