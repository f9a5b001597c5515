//! `PeerAddr` strings: `<64 hex chars of the ed25519 public key>@<ip>:<port>`.

mod common;

use spn_network::{PeerAddr, PeerAddrError};

#[test]
fn peer_addr_display_and_parse_roundtrip() {
    for socket in ["127.0.0.1:30333", "[::1]:9000", "10.1.2.3:1"] {
        let addr = PeerAddr {
            key: common::key(5),
            addr: socket.parse().expect("socket"),
        };
        let text = addr.to_string();
        assert_eq!(text, format!("{}@{socket}", hex::encode(common::key(5))));
        assert_eq!(text.parse::<PeerAddr>(), Ok(addr));
    }
    // Surrounding whitespace (as in config files) is tolerated; uppercase hex too.
    let upper = format!(" {}@127.0.0.1:1 ", hex::encode_upper(common::key(6)));
    assert_eq!(upper.parse::<PeerAddr>().map(|a| a.key), Ok(common::key(6)));
}

#[test]
fn peer_addr_parse_errors_are_specific() {
    let key = hex::encode(common::key(5));
    let cases = [
        (format!("{key}127.0.0.1:1"), "MissingAt"),
        ("abcd@127.0.0.1:1".to_string(), "KeyNotHex"),
        (format!("{}zz@127.0.0.1:1", &key[..62]), "KeyNotHex"),
        (format!("{key}00@127.0.0.1:1"), "KeyNotHex"),
        (format!("{key}@127.0.0.1"), "BadSocket"),
        (format!("{key}@localhost:30333"), "BadSocket"),
        (format!("{key}@127.0.0.1:70000"), "BadSocket"),
    ];
    for (text, expected) in cases {
        let err = text.parse::<PeerAddr>().expect_err(&text);
        assert!(format!("{err:?}").starts_with(expected), "{text}: {err:?}");
        assert!(!err.to_string().is_empty());
    }
    let missing = format!("{key}127.0.0.1:1")
        .parse::<PeerAddr>()
        .expect_err("no @");
    assert!(missing.to_string().contains("<ip>:<port>"), "{missing}");
}

#[test]
fn peer_addr_refuses_a_key_off_the_curve() {
    // Find a 32-byte string that is not a valid compressed ed25519 point (about half are).
    let bad = (0u8..=255)
        .map(|b| {
            let mut k = [0u8; 32];
            k[0] = b;
            k[31] = 0x7f;
            k
        })
        .find(|k| spn_network::peer_id_of(k).is_none())
        .expect("some non-point exists");
    let text = format!("{}@127.0.0.1:1", hex::encode(bad));
    assert!(matches!(
        text.parse::<PeerAddr>(),
        Err(PeerAddrError::KeyNotEd25519(_))
    ));
}
