//! Run one sequencer that builds a block every `block_time`, or on demand in dev mode.
//!
//! Invariants: at most one block is being built at any time; blocks are requested with
//! strictly consecutive numbers; a block is committed only after it was reported built.

use crate::{Action, Consensus, Event};

/// When the solo sequencer builds blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoloConfig {
    /// Build a block every this many milliseconds (0: never on a timer).
    pub block_time_ms: u64,
    /// Build a block as soon as transactions are pending (dev mode).
    pub on_demand: bool,
}

impl Default for SoloConfig {
    fn default() -> Self {
        Self {
            block_time_ms: 1_000,
            on_demand: false,
        }
    }
}

/// The single-sequencer engine.
#[derive(Debug)]
pub struct Solo {
    config: SoloConfig,
    head: u64,
    building: Option<u64>,
    /// Transactions arrived while a block was being built.
    pending_while_building: bool,
    /// A block was asked for: the next one is committed even when empty.
    mine_requested: bool,
    timer: u64,
}

impl Solo {
    /// A sequencer with `config`.
    pub fn new(config: SoloConfig) -> Self {
        Self {
            config,
            head: 0,
            building: None,
            pending_while_building: false,
            mine_requested: false,
            timer: 0,
        }
    }

    fn schedule(&mut self, out: &mut Vec<Action>) {
        if self.config.block_time_ms > 0 {
            self.timer += 1;
            out.push(Action::ScheduleTimeout {
                id: self.timer,
                after_ms: self.config.block_time_ms,
            });
        }
    }

    fn build(&mut self, allow_empty: bool, out: &mut Vec<Action>) {
        if self.building.is_none() {
            let number = self.head + 1;
            self.building = Some(number);
            out.push(Action::BuildBlock {
                number,
                allow_empty,
            });
        }
    }
}

impl Consensus for Solo {
    fn name(&self) -> &'static str {
        "solo"
    }

    fn on_event(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        match event {
            Event::Started { head } => {
                self.head = head;
                self.building = None;
                self.schedule(&mut out);
            }
            Event::Timeout { id } => {
                // A stale timer, or one firing while a block is in flight, is ignored: the
                // commit of the block in flight schedules the next one.
                if id == self.timer && self.building.is_none() {
                    self.build(true, &mut out);
                }
            }
            Event::TransactionsPending => {
                if self.config.on_demand {
                    if self.building.is_some() {
                        self.pending_while_building = true;
                    } else {
                        self.build(false, &mut out);
                    }
                }
            }
            Event::MineRequested => {
                self.mine_requested = true;
                self.build(true, &mut out);
            }
            Event::BlockBuilt {
                number,
                hash,
                tx_count,
            } => {
                if self.building == Some(number) {
                    let empty_unwanted = tx_count == 0
                        && self.config.on_demand
                        && self.config.block_time_ms == 0
                        && !self.mine_requested;
                    if empty_unwanted {
                        self.building = None;
                        out.push(Action::DiscardBlock { number });
                    } else {
                        out.push(Action::CommitBlock { number, hash });
                    }
                }
            }
            Event::BuildFailed { number } => {
                if self.building == Some(number) {
                    self.building = None;
                    self.schedule(&mut out);
                }
            }
            Event::BlockCommitted { number } => {
                if self.building == Some(number) {
                    self.building = None;
                    self.head = number;
                    self.mine_requested = false;
                    let timer_driven = self.config.block_time_ms > 0;
                    if timer_driven {
                        self.schedule(&mut out);
                    }
                    if self.config.on_demand && std::mem::take(&mut self.pending_while_building) {
                        self.build(false, &mut out);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn built(number: u64, tx_count: usize) -> Event {
        Event::BlockBuilt {
            number,
            hash: [number as u8; 32],
            tx_count,
        }
    }

    #[test]
    fn mine_requested_commits_an_empty_block_in_dev_mode_once() {
        let mut solo = Solo::new(SoloConfig {
            block_time_ms: 0,
            on_demand: true,
        });
        solo.on_event(Event::Started { head: 0 });
        assert_eq!(
            solo.on_event(Event::MineRequested),
            vec![Action::BuildBlock {
                number: 1,
                allow_empty: true
            }]
        );
        assert_eq!(
            solo.on_event(built(1, 0)),
            vec![Action::CommitBlock {
                number: 1,
                hash: [1; 32]
            }]
        );
        solo.on_event(Event::BlockCommitted { number: 1 });
        // The request is used up: the next empty block on demand is discarded again.
        solo.on_event(Event::TransactionsPending);
        assert_eq!(
            solo.on_event(built(2, 0)),
            vec![Action::DiscardBlock { number: 2 }]
        );
    }

    #[test]
    fn interval_mode_builds_on_each_timer_and_commits() {
        let mut solo = Solo::new(SoloConfig::default());
        let a = solo.on_event(Event::Started { head: 5 });
        assert_eq!(
            a,
            vec![Action::ScheduleTimeout {
                id: 1,
                after_ms: 1000
            }]
        );
        let a = solo.on_event(Event::Timeout { id: 1 });
        assert_eq!(
            a,
            vec![Action::BuildBlock {
                number: 6,
                allow_empty: true
            }]
        );
        let a = solo.on_event(built(6, 0));
        assert_eq!(
            a,
            vec![Action::CommitBlock {
                number: 6,
                hash: [6; 32]
            }]
        );
        let a = solo.on_event(Event::BlockCommitted { number: 6 });
        assert_eq!(
            a,
            vec![Action::ScheduleTimeout {
                id: 2,
                after_ms: 1000
            }]
        );
    }

    #[test]
    fn dev_mode_builds_on_demand_and_discards_empty_blocks() {
        let mut solo = Solo::new(SoloConfig {
            block_time_ms: 0,
            on_demand: true,
        });
        assert!(solo.on_event(Event::Started { head: 0 }).is_empty());
        let a = solo.on_event(Event::TransactionsPending);
        assert_eq!(
            a,
            vec![Action::BuildBlock {
                number: 1,
                allow_empty: false
            }]
        );
        // More transactions while building: one more block right after the commit.
        assert!(solo.on_event(Event::TransactionsPending).is_empty());
        solo.on_event(built(1, 3));
        let a = solo.on_event(Event::BlockCommitted { number: 1 });
        assert_eq!(
            a,
            vec![Action::BuildBlock {
                number: 2,
                allow_empty: false
            }]
        );
        let a = solo.on_event(built(2, 0));
        assert_eq!(a, vec![Action::DiscardBlock { number: 2 }]);
    }

    #[test]
    fn stale_timers_are_ignored() {
        let mut solo = Solo::new(SoloConfig::default());
        solo.on_event(Event::Started { head: 0 });
        solo.on_event(Event::Timeout { id: 1 });
        assert!(solo.on_event(Event::Timeout { id: 1 }).is_empty());
    }

    fn event_strategy() -> impl Strategy<Value = Event> {
        prop_oneof![
            (0u64..4).prop_map(|id| Event::Timeout { id }),
            Just(Event::TransactionsPending),
            (0u64..8, 0usize..3).prop_map(|(n, c)| built(n, c)),
            (0u64..8).prop_map(|number| Event::BuildFailed { number }),
            (0u64..8).prop_map(|number| Event::BlockCommitted { number }),
        ]
    }

    proptest! {
        /// Whatever order events arrive in, at most one block is in flight, block numbers
        /// requested are consecutive, and only a block reported built is committed.
        #[test]
        fn never_two_builds_in_flight_and_numbers_consecutive(
            on_demand in any::<bool>(),
            events in proptest::collection::vec(event_strategy(), 1..200),
        ) {
            let mut solo = Solo::new(SoloConfig { block_time_ms: 1000, on_demand });
            solo.on_event(Event::Started { head: 0 });
            let mut in_flight: Option<u64> = None;
            let mut last_committed = 0u64;
            for ev in events {
                // The shell only reports what it was asked to do; model that.
                let ev = match ev {
                    Event::BlockBuilt { tx_count, .. } => match in_flight {
                        Some(n) => built(n, tx_count),
                        None => continue,
                    },
                    Event::BlockCommitted { .. } | Event::BuildFailed { .. } => continue,
                    other => other,
                };
                for action in solo.on_event(ev) {
                    match action {
                        Action::BuildBlock { number, .. } => {
                            prop_assert!(in_flight.is_none());
                            prop_assert_eq!(number, last_committed + 1);
                            in_flight = Some(number);
                        }
                        Action::CommitBlock { number, .. } => {
                            prop_assert_eq!(Some(number), in_flight);
                            for a in solo.on_event(Event::BlockCommitted { number }) {
                                if let Action::BuildBlock { number: n, .. } = a {
                                    prop_assert_eq!(n, number + 1);
                                    in_flight = Some(n);
                                    last_committed = number;
                                    continue;
                                }
                            }
                            if in_flight == Some(number) {
                                in_flight = None;
                                last_committed = number;
                            }
                        }
                        Action::DiscardBlock { number } => {
                            prop_assert_eq!(Some(number), in_flight);
                            in_flight = None;
                        }
                        Action::ScheduleTimeout { .. } => {}
                    }
                }
            }
        }
    }
}
