//! Rules of the `poa` engine, one engine at a time, driven by hand-made events.

use ed25519_dalek::SigningKey;

use super::*;

const SPN: u32 = 77;

fn keys(n: u8) -> Vec<SigningKey> {
    (0..n)
        .map(|i| SigningKey::from_bytes(&[i + 1; 32]))
        .collect()
}

fn set_of(keys: &[SigningKey]) -> ValidatorSet {
    let raw: Vec<_> = keys.iter().map(|k| k.verifying_key().to_bytes()).collect();
    ValidatorSet::new(&raw).unwrap()
}

fn config() -> PoaConfig {
    PoaConfig::new(SPN)
}

/// Validator `me` of `keys`, started at `head`, with the actions of the start.
fn start(keys: &[SigningKey], me: usize, head: u64) -> (Poa, Vec<PoaAction>) {
    let mut poa = Poa::validator(config(), keys[me].clone());
    let actions = poa.on_event(PoaEvent::Started {
        head,
        validators: set_of(keys),
        lock: None,
    });
    (poa, actions)
}

fn hash(x: u8) -> BlockHash {
    [x; 32]
}

fn block(x: u8) -> Vec<u8> {
    vec![x; 3]
}

fn vote(keys: &[SigningKey], who: u32, height: u64, x: u8) -> PoaEvent {
    let v = Vote::sign(SPN, height, hash(x), who, &keys[who as usize]);
    PoaEvent::Message(PoaMessage::Vote(v))
}

fn proposal(keys: &[SigningKey], who: u32, height: u64, round: u32, x: u8) -> PoaEvent {
    let p = Proposal::sign(
        SPN,
        height,
        round,
        hash(x),
        block(x),
        who,
        &keys[who as usize],
    );
    PoaEvent::Message(PoaMessage::Proposal(p))
}

fn executed(height: u64, x: u8, valid: bool) -> PoaEvent {
    PoaEvent::ProposalExecuted {
        height,
        block_hash: hash(x),
        valid,
    }
}

fn commit_of(actions: &[PoaAction]) -> Option<(u64, BlockHash, CommitCertificate)> {
    actions.iter().find_map(|a| match a {
        PoaAction::Commit {
            height,
            block_hash,
            certificate,
        } => Some((*height, *block_hash, certificate.clone())),
        _ => None,
    })
}

fn votes_sent(actions: &[PoaAction]) -> Vec<Vote> {
    actions
        .iter()
        .filter_map(|a| match a {
            PoaAction::Broadcast(PoaMessage::Vote(v)) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

fn rejections(actions: &[PoaAction]) -> Vec<Rejection> {
    actions
        .iter()
        .filter_map(|a| match a {
            PoaAction::Rejected(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn timer_of(actions: &[PoaAction]) -> u64 {
    actions
        .iter()
        .find_map(|a| match a {
            PoaAction::ScheduleTimeout { id, .. } => Some(*id),
            _ => None,
        })
        .expect("a timer")
}

/// Validator 0 of `n`, at height 1 (proposer: validator 1), having voted for block 9.
fn voted(n: u8) -> (Vec<SigningKey>, Poa) {
    let keys = keys(n);
    let (mut poa, _) = start(&keys, 0, 0);
    let a = poa.on_event(proposal(&keys, 1 % u32::from(n), 1, 0, 9));
    assert!(a.contains(&PoaAction::ExecuteProposal {
        height: 1,
        block_hash: hash(9),
        block: block(9)
    }));
    let a = poa.on_event(executed(1, 9, true));
    assert_eq!(votes_sent(&a).len(), 1);
    (keys, poa)
}

#[test]
fn the_proposer_of_the_round_builds_and_the_others_wait() {
    let keys = keys(4);
    // Height 1, round 0: validator (1 + 0) mod 4 = 1.
    let (_, a) = start(&keys, 1, 0);
    assert!(a.contains(&PoaAction::BuildBlock {
        height: 1,
        round: 0
    }));
    let (mut poa, a) = start(&keys, 2, 0);
    assert!(!a.iter().any(|a| matches!(a, PoaAction::BuildBlock { .. })));
    // Round 1 is validator 2's. Holding no block, it first waits the proposal delay (a
    // block others voted for could still arrive), then builds.
    let a = poa.on_event(PoaEvent::Timeout { id: timer_of(&a) });
    assert_eq!(poa.position(), (1, 1));
    assert!(!a.iter().any(|a| matches!(a, PoaAction::BuildBlock { .. })));
    let delay = poa.config().proposal_delay_ms;
    let wait = a
        .iter()
        .find_map(|a| match a {
            PoaAction::ScheduleTimeout { id, after_ms } if *after_ms == delay => Some(*id),
            _ => None,
        })
        .expect("a proposal delay");
    let a = poa.on_event(PoaEvent::Timeout { id: wait });
    assert_eq!(
        a,
        vec![PoaAction::BuildBlock {
            height: 1,
            round: 1
        }]
    );
}

#[test]
fn a_block_that_arrives_during_the_proposal_delay_is_proposed_instead_of_a_new_one() {
    let keys = keys(4);
    let (mut poa, a) = start(&keys, 2, 0);
    let a = poa.on_event(PoaEvent::Timeout { id: timer_of(&a) });
    let delay = poa.config().proposal_delay_ms;
    let wait = a
        .iter()
        .find_map(|a| match a {
            PoaAction::ScheduleTimeout { id, after_ms } if *after_ms == delay => Some(*id),
            _ => None,
        })
        .unwrap();
    // Round 0's block (validator 1's) and a vote for it arrive late.
    poa.on_event(proposal(&keys, 1, 1, 0, 9));
    poa.on_event(vote(&keys, 1, 1, 9));
    let a = poa.on_event(PoaEvent::Timeout { id: wait });
    assert!(!a.iter().any(|a| matches!(a, PoaAction::BuildBlock { .. })));
    assert!(a.iter().any(|a| matches!(
        a,
        PoaAction::Broadcast(PoaMessage::Proposal(p)) if p.block_hash == hash(9) && p.round == 1
    )));
}

#[test]
fn a_built_block_is_proposed_signed_and_voted_for() {
    let keys = keys(4);
    let (mut poa, _) = start(&keys, 1, 0);
    let a = poa.on_event(PoaEvent::BlockBuilt {
        height: 1,
        round: 0,
        block_hash: hash(5),
        block: block(5),
    });
    let proposal = a
        .iter()
        .find_map(|a| match a {
            PoaAction::Broadcast(PoaMessage::Proposal(p)) => Some(p.clone()),
            _ => None,
        })
        .unwrap();
    assert!(proposal.verify(SPN, &keys[1].verifying_key()));
    assert_eq!(
        (proposal.height, proposal.round, proposal.proposer),
        (1, 0, 1)
    );
    let lock = Lock {
        height: 1,
        block_hash: hash(5),
        block: block(5),
        proposal: Some(proposal.header()),
    };
    let persist = a
        .iter()
        .position(|x| *x == PoaAction::PersistLock(lock.clone()));
    let send = a
        .iter()
        .position(|x| matches!(x, PoaAction::Broadcast(PoaMessage::Vote(_))));
    assert!(
        persist.unwrap() < send.unwrap(),
        "the lock is stored before the vote leaves"
    );
}

#[test]
fn a_validator_votes_only_after_the_node_found_the_proposal_valid() {
    let keys = keys(4);
    let (mut poa, _) = start(&keys, 0, 0);
    let a = poa.on_event(proposal(&keys, 1, 1, 0, 9));
    assert!(votes_sent(&a).is_empty());
    let a = poa.on_event(executed(1, 9, false));
    assert!(votes_sent(&a).is_empty());
    assert_eq!(
        rejections(&a),
        vec![Rejection::InvalidBlock {
            height: 1,
            block_hash: hash(9)
        }]
    );
    assert!(poa.lock().is_none());
    // The proposer is ignored for the rest of the height.
    let a = poa.on_event(proposal(&keys, 1, 1, 4, 8));
    assert!(!a
        .iter()
        .any(|a| matches!(a, PoaAction::ExecuteProposal { .. })));
}

#[test]
fn quorum_is_more_than_two_thirds_of_the_validators() {
    // (n, votes needed): votes arrive from validators 1, 2, … after validator 0's own.
    for (n, needed) in [(3u8, 3u32), (4, 3), (7, 5)] {
        let (keys, mut poa) = voted(n);
        for who in 1..needed - 1 {
            let a = poa.on_event(vote(&keys, who, 1, 9));
            assert!(commit_of(&a).is_none(), "n = {n}: {} votes", who + 1);
        }
        let a = poa.on_event(vote(&keys, needed - 1, 1, 9));
        let (height, block_hash, certificate) = commit_of(&a).expect("quorum");
        assert_eq!((height, block_hash), (1, hash(9)));
        assert_eq!(certificate.signatures.len(), needed as usize);
        assert_eq!(
            verify_certificate(SPN, &set_of(&keys), &certificate),
            Ok(())
        );
    }
}

#[test]
fn a_forged_vote_is_ignored() {
    let (keys, mut poa) = voted(4);
    let PoaEvent::Message(PoaMessage::Vote(mut forged)) = vote(&keys, 2, 1, 9) else {
        unreachable!()
    };
    forged.signature[10] ^= 0x40;
    let a = poa.on_event(PoaEvent::Message(PoaMessage::Vote(forged)));
    assert_eq!(
        rejections(&a),
        vec![Rejection::BadSignature {
            height: 1,
            index: 2
        }]
    );
    assert!(rejections(&a)[0].is_fault());
    let a = poa.on_event(vote(&keys, 1, 1, 9));
    assert!(commit_of(&a).is_none(), "the forged vote was not counted");
}

#[test]
fn a_vote_from_outside_the_set_is_ignored() {
    let (keys, mut poa) = voted(4);
    let outsider = SigningKey::from_bytes(&[99; 32]);
    let v = Vote::sign(SPN, 1, hash(9), 4, &outsider);
    let a = poa.on_event(PoaEvent::Message(PoaMessage::Vote(v)));
    assert_eq!(
        rejections(&a),
        vec![Rejection::UnknownValidator {
            height: 1,
            index: 4
        }]
    );
    // An outsider claiming a member's position does not verify.
    let v = Vote::sign(SPN, 1, hash(9), 3, &outsider);
    let a = poa.on_event(PoaEvent::Message(PoaMessage::Vote(v)));
    assert_eq!(
        rejections(&a),
        vec![Rejection::BadSignature {
            height: 1,
            index: 3
        }]
    );
    let a = poa.on_event(vote(&keys, 1, 1, 9));
    assert!(commit_of(&a).is_none());
}

#[test]
fn a_duplicate_vote_is_counted_once() {
    let (keys, mut poa) = voted(4);
    poa.on_event(vote(&keys, 1, 1, 9));
    let a = poa.on_event(vote(&keys, 1, 1, 9));
    assert_eq!(
        rejections(&a),
        vec![Rejection::Duplicate {
            height: 1,
            index: 1
        }]
    );
    assert!(!rejections(&a)[0].is_fault());
    assert!(commit_of(&a).is_none());
}

#[test]
fn a_vote_for_another_height_does_not_count_at_this_one() {
    let (keys, mut poa) = voted(4);
    let a = poa.on_event(vote(&keys, 1, 0, 9));
    assert_eq!(rejections(&a), vec![Rejection::Stale { height: 0 }]);
    for who in 1..4 {
        let a = poa.on_event(vote(&keys, who, 2, 9));
        assert!(commit_of(&a).is_none());
    }
    // A vote for another SPN (same height and hash) does not verify here.
    let other = Vote::sign(SPN + 1, 1, hash(9), 1, &keys[1]);
    let a = poa.on_event(PoaEvent::Message(PoaMessage::Vote(other)));
    assert_eq!(
        rejections(&a),
        vec![Rejection::BadSignature {
            height: 1,
            index: 1
        }]
    );
    assert_eq!(poa.head(), 0);
}

#[test]
fn a_vote_for_two_blocks_is_reported_with_both_signatures() {
    let (keys, mut poa) = voted(4);
    poa.on_event(vote(&keys, 2, 1, 9));
    let a = poa.on_event(vote(&keys, 2, 1, 8));
    let evidence = a
        .iter()
        .find_map(|a| match a {
            PoaAction::Misbehaviour(Evidence::DoubleVote { first, second }) => {
                Some((first.clone(), second.clone()))
            }
            _ => None,
        })
        .expect("evidence");
    let key = keys[2].verifying_key();
    assert!(evidence.0.verify(SPN, &key) && evidence.1.verify(SPN, &key));
    assert_ne!(evidence.0.block_hash, evidence.1.block_hash);
    // The second vote did not count: one more vote for 9 makes the quorum, none for 8 does.
    let a = poa.on_event(vote(&keys, 3, 1, 8));
    assert!(commit_of(&a).is_none());
}

#[test]
fn a_proposal_from_the_wrong_proposer_is_ignored() {
    let keys = keys(4);
    let (mut poa, _) = start(&keys, 0, 0);
    // Height 1, round 0 belongs to validator 1; validator 2 signs a proposal for it.
    let a = poa.on_event(proposal(&keys, 2, 1, 0, 9));
    assert_eq!(
        rejections(&a),
        vec![Rejection::WrongProposer {
            height: 1,
            round: 0,
            index: 2,
            expected: 1
        }]
    );
    assert!(!a
        .iter()
        .any(|a| matches!(a, PoaAction::ExecuteProposal { .. })));
    // Validator 2 claiming to be validator 1 fails the signature check.
    let p = Proposal::sign(SPN, 1, 0, hash(9), block(9), 1, &keys[2]);
    let a = poa.on_event(PoaEvent::Message(PoaMessage::Proposal(p)));
    assert_eq!(
        rejections(&a),
        vec![Rejection::BadSignature {
            height: 1,
            index: 1
        }]
    );
}

#[test]
fn a_locked_validator_never_votes_for_another_block_at_the_height() {
    let (keys, mut poa) = voted(4);
    // Round 1's proposer (validator 2) offers another block: not even executed.
    let a = poa.on_event(proposal(&keys, 2, 1, 1, 8));
    assert!(!a
        .iter()
        .any(|a| matches!(a, PoaAction::ExecuteProposal { .. })));
    assert!(votes_sent(&a).is_empty());
    // Executed anyway (e.g. reported late): still no vote.
    let a = poa.on_event(executed(1, 8, true));
    assert!(votes_sent(&a).is_empty());
    assert_eq!(poa.lock().map(|l| l.block_hash), Some(hash(9)));
}

#[test]
fn a_locked_proposer_re_proposes_its_locked_block() {
    let (keys, mut poa) = voted(4);
    // Height 1: round 3 is validator 0's ((1 + 3) mod 4). Time out three rounds.
    let mut actions = Vec::new();
    for _ in 0..3 {
        actions = poa.on_event(PoaEvent::Timeout {
            id: poa_timer(&poa),
        });
    }
    assert_eq!(poa.position(), (1, 3));
    assert!(!actions
        .iter()
        .any(|a| matches!(a, PoaAction::BuildBlock { .. })));
    let proposals: Vec<_> = actions
        .iter()
        .filter_map(|a| match a {
            PoaAction::Broadcast(PoaMessage::Proposal(p)) => Some(p.clone()),
            _ => None,
        })
        .collect();
    // The timeout sent the vote again with the proposal it is for (validator 1's, round 0)…
    assert_eq!(votes_sent(&actions).len(), 1);
    assert_eq!((proposals[0].proposer, proposals[0].round), (1, 0));
    // …and, as round 3's proposer, validator 0 offers its locked block again.
    let p = &proposals[1];
    assert_eq!(
        (p.round, p.block_hash, p.block.clone()),
        (3, hash(9), block(9))
    );
    assert!(p.verify(SPN, &keys[0].verifying_key()));
}

/// The engine's live timer id (the tests drive timeouts by it).
fn poa_timer(poa: &Poa) -> u64 {
    poa.timer
}

#[test]
fn a_stale_timer_is_ignored() {
    let keys = keys(4);
    let (mut poa, a) = start(&keys, 0, 0);
    let first = timer_of(&a);
    poa.on_event(PoaEvent::Timeout { id: first });
    assert!(poa.on_event(PoaEvent::Timeout { id: first }).is_empty());
    assert_eq!(poa.position(), (1, 1));
}

#[test]
fn an_unlocked_proposer_re_proposes_a_held_block_instead_of_building() {
    let keys = keys(4);
    // Validator 2 got round 0's block but its execution is still pending when round 1 (its
    // own) starts: it offers that block again rather than a competing one.
    let (mut poa, a) = start(&keys, 2, 0);
    poa.on_event(proposal(&keys, 1, 1, 0, 9));
    let a = poa.on_event(PoaEvent::Timeout { id: timer_of(&a) });
    assert!(!a.iter().any(|a| matches!(a, PoaAction::BuildBlock { .. })));
    assert!(a.iter().any(|a| matches!(
        a,
        PoaAction::Broadcast(PoaMessage::Proposal(p)) if p.block_hash == hash(9) && p.round == 1
    )));
}

#[test]
fn a_restarted_validator_casts_its_recorded_vote_again_and_no_other() {
    let keys = keys(4);
    let mut poa = Poa::validator(config(), keys[0].clone());
    let lock = Lock {
        height: 1,
        block_hash: hash(9),
        block: block(9),
        proposal: None,
    };
    let a = poa.on_event(PoaEvent::Started {
        head: 0,
        validators: set_of(&keys),
        lock: Some(lock),
    });
    let sent = votes_sent(&a);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].block_hash, hash(9));
    let a = poa.on_event(proposal(&keys, 2, 1, 1, 8));
    assert!(!a
        .iter()
        .any(|a| matches!(a, PoaAction::ExecuteProposal { .. })));
    // A lock for another height than the next one is ignored.
    let mut poa = Poa::validator(config(), keys[0].clone());
    let a = poa.on_event(PoaEvent::Started {
        head: 5,
        validators: set_of(&keys),
        lock: Some(Lock {
            height: 3,
            block_hash: hash(9),
            block: block(9),
            proposal: None,
        }),
    });
    assert!(votes_sent(&a).is_empty());
    assert!(poa.lock().is_none());
}

#[test]
fn a_restarted_validator_relays_the_proposal_it_voted_for() {
    let keys = keys(4);
    let PoaEvent::Message(PoaMessage::Proposal(voted_on)) = proposal(&keys, 1, 1, 0, 9) else {
        unreachable!()
    };
    let mut poa = Poa::validator(config(), keys[0].clone());
    let a = poa.on_event(PoaEvent::Started {
        head: 0,
        validators: set_of(&keys),
        lock: Some(Lock {
            height: 1,
            block_hash: hash(9),
            block: block(9),
            proposal: Some(voted_on.header()),
        }),
    });
    // On its first timeout it sends its vote and validator 1's signed proposal, with the bytes.
    let a = poa.on_event(PoaEvent::Timeout { id: timer_of(&a) });
    assert_eq!(votes_sent(&a).len(), 1);
    assert!(a.contains(&PoaAction::Broadcast(PoaMessage::Proposal(voted_on))));
}

#[test]
fn a_single_validator_commits_its_own_blocks() {
    let keys = keys(1);
    let (mut poa, a) = start(&keys, 0, 0);
    assert!(a.contains(&PoaAction::BuildBlock {
        height: 1,
        round: 0
    }));
    let a = poa.on_event(PoaEvent::BlockBuilt {
        height: 1,
        round: 0,
        block_hash: hash(1),
        block: block(1),
    });
    assert_eq!(commit_of(&a).map(|c| (c.0, c.1)), Some((1, hash(1))));
    let a = poa.on_event(PoaEvent::Committed { height: 1 });
    assert!(a.contains(&PoaAction::BuildBlock {
        height: 2,
        round: 0
    }));
    assert_eq!(poa.head(), 1);
}

fn certificate(keys: &[SigningKey], height: u64, x: u8, who: &[u32]) -> CommitCertificate {
    CommitCertificate {
        height,
        block_hash: hash(x),
        signatures: who
            .iter()
            .map(|&i| {
                (
                    i,
                    Vote::sign(SPN, height, hash(x), i, &keys[i as usize]).signature,
                )
            })
            .collect(),
    }
}

#[test]
fn a_validator_behind_catches_up_from_certified_blocks() {
    let keys = keys(4);
    let (mut poa, _) = start(&keys, 3, 0);
    for height in 1..=3u64 {
        let x = height as u8;
        let decision = Decision {
            certificate: certificate(&keys, height, x, &[0, 1, 2]),
            block: block(x),
        };
        let a = poa.on_event(PoaEvent::Message(PoaMessage::Decision(decision)));
        assert!(a.contains(&PoaAction::ExecuteProposal {
            height,
            block_hash: hash(x),
            block: block(x)
        }));
        let a = poa.on_event(executed(height, x, true));
        assert_eq!(commit_of(&a).map(|c| (c.0, c.1)), Some((height, hash(x))));
        poa.on_event(PoaEvent::Committed { height });
    }
    assert_eq!(poa.head(), 3);
    // A certificate with too few signatures commits nothing.
    let decision = Decision {
        certificate: certificate(&keys, 4, 4, &[0, 1]),
        block: block(4),
    };
    let a = poa.on_event(PoaEvent::Message(PoaMessage::Decision(decision)));
    assert!(matches!(
        rejections(&a)[..],
        [Rejection::InvalidCertificate {
            error: CertificateError::TooFewSignatures { got: 2, needed: 3 },
            ..
        }]
    ));
}

#[test]
fn a_certificate_for_a_later_height_asks_for_a_sync() {
    let keys = keys(4);
    let (mut poa, _) = start(&keys, 3, 0);
    let cert = certificate(&keys, 5, 5, &[0, 1, 2]);
    let a = poa.on_event(PoaEvent::Message(PoaMessage::Certificate(cert)));
    assert!(a.contains(&PoaAction::RequestSync {
        from_height: 1,
        peer: keys[0].verifying_key().to_bytes()
    }));
}

#[test]
fn a_follower_commits_a_certified_block_it_executed() {
    let keys = keys(4);
    let mut poa = Poa::follower(config());
    poa.on_event(PoaEvent::Started {
        head: 0,
        validators: set_of(&keys),
        lock: None,
    });
    // A follower does not execute proposals it cannot vote on…
    let a = poa.on_event(proposal(&keys, 1, 1, 0, 9));
    assert!(a.is_empty());
    // …until they are certified.
    let mut a = Vec::new();
    for who in 0..3 {
        a = poa.on_event(vote(&keys, who, 1, 9));
    }
    assert!(a
        .iter()
        .any(|a| matches!(a, PoaAction::ExecuteProposal { .. })));
    let a = poa.on_event(executed(1, 9, true));
    assert_eq!(commit_of(&a).map(|c| (c.0, c.1)), Some((1, hash(9))));
    assert!(votes_sent(&a).is_empty(), "a follower never votes");
}

#[test]
fn a_new_validator_set_applies_from_its_height() {
    let old = keys(4);
    let new: Vec<_> = (10..13).map(|i| SigningKey::from_bytes(&[i; 32])).collect();
    let (mut poa, _) = start(&old, 0, 0);
    poa.install_validators(2, set_of(&new)).unwrap();
    assert_eq!(
        poa.install_validators(1, set_of(&new)),
        Err(InstallError::TooLate {
            from_height: 1,
            current: 1
        })
    );
    // Height 1 is still the old set's: a certificate by the new keys does not verify.
    let mut cert = certificate(&new, 1, 1, &[0, 1, 2]);
    let a = poa.on_event(PoaEvent::Message(PoaMessage::Decision(Decision {
        certificate: cert.clone(),
        block: block(1),
    })));
    assert!(matches!(
        rejections(&a)[..],
        [Rejection::InvalidCertificate { .. }]
    ));
    cert = certificate(&old, 1, 1, &[0, 1, 2]);
    poa.on_event(PoaEvent::Message(PoaMessage::Decision(Decision {
        certificate: cert,
        block: block(1),
    })));
    poa.on_event(executed(1, 1, true));
    poa.on_event(PoaEvent::Committed { height: 1 });
    // Height 2 is the new set's (3 of 3).
    let cert = certificate(&new, 2, 2, &[0, 1, 2]);
    let a = poa.on_event(PoaEvent::Message(PoaMessage::Decision(Decision {
        certificate: cert,
        block: block(2),
    })));
    assert!(a
        .iter()
        .any(|a| matches!(a, PoaAction::ExecuteProposal { height: 2, .. })));
    assert_eq!(poa.validators_at(2), Some(&set_of(&new)));
    // The old validator is no member any more: it never votes or proposes at height 2.
    assert!(poa.lock().is_none());
}

#[test]
fn messages_signed_by_a_set_not_yet_known_are_nobodys_fault() {
    let old = keys(4);
    let new: Vec<_> = (10..14).map(|i| SigningKey::from_bytes(&[i; 32])).collect();
    let (mut poa, _) = start(&old, 0, 0);
    // A static set: a certificate for height 3 by unknown keys is a fault.
    let cert = |h| {
        PoaEvent::Message(PoaMessage::Certificate(certificate(
            &new,
            h,
            h as u8,
            &[0, 1, 2],
        )))
    };
    let a = poa.on_event(cert(3));
    assert!(rejections(&a).iter().all(Rejection::is_fault), "{a:?}");
    // Sets known only through height 2 (installed as the chain grows): height 3's signers
    // may be the next epoch's, so the message is refused without blame.
    poa.validators_known_through(2);
    let a = poa.on_event(cert(3));
    assert_eq!(
        rejections(&a),
        vec![Rejection::NoValidatorSet { height: 3 }]
    );
    // Within the known heights a bad signer is still a fault.
    let a = poa.on_event(cert(2));
    assert!(matches!(
        rejections(&a)[..],
        [Rejection::InvalidCertificate { .. }]
    ));
    // Once the next set is installed and known, its certificates are taken.
    poa.install_validators(3, set_of(&new)).unwrap();
    poa.validators_known_through(3);
    let a = poa.on_event(cert(3));
    assert!(rejections(&a).is_empty(), "{a:?}");
}

#[test]
fn a_proposal_for_a_later_round_moves_the_validator_there() {
    let keys = keys(4);
    let (mut poa, _) = start(&keys, 0, 0);
    // Round 2 at height 1 is validator 3's.
    let a = poa.on_event(proposal(&keys, 3, 1, 2, 9));
    assert_eq!(poa.position(), (1, 2));
    assert!(a
        .iter()
        .any(|a| matches!(a, PoaAction::ScheduleTimeout { .. })));
    assert!(a
        .iter()
        .any(|a| matches!(a, PoaAction::ExecuteProposal { .. })));
}

#[test]
fn two_proposals_for_one_round_are_reported() {
    let keys = keys(4);
    let (mut poa, _) = start(&keys, 0, 0);
    poa.on_event(proposal(&keys, 1, 1, 0, 9));
    let a = poa.on_event(proposal(&keys, 1, 1, 0, 8));
    assert!(a.iter().any(|a| matches!(
        a,
        PoaAction::Misbehaviour(Evidence::DoubleProposal { first, second })
            if first.block_hash == hash(9) && second.block_hash == hash(8) && second.block.is_empty()
    )));
    assert!(!a
        .iter()
        .any(|a| matches!(a, PoaAction::ExecuteProposal { .. })));
}
