//! Identities: a node's libp2p identity is its ed25519 key, so `PeerId` and [`PeerKey`] convert
//! both ways, and peers are named `<hex public key>@<ip>:<port>`.

use std::{
    fmt,
    net::{IpAddr, SocketAddr},
    str::FromStr,
};

use libp2p::{
    identity::{ed25519, Keypair, PublicKey},
    multiaddr::Protocol,
    Multiaddr, PeerId,
};

use crate::errors::{NetworkError, PeerAddrError};

/// An ed25519 public key (32 bytes): the identity of a node on the network.
pub type PeerKey = [u8; 32];

/// Multihash code of the identity hash, used for peer ids of inlined ed25519 keys.
const IDENTITY_MULTIHASH: u64 = 0x00;

/// The `PeerId` of an ed25519 public key, or `None` if the bytes are not a curve point.
pub fn peer_id_of(key: &PeerKey) -> Option<PeerId> {
    let public = ed25519::PublicKey::try_from_bytes(key).ok()?;
    Some(PublicKey::from(public).to_peer_id())
}

/// The ed25519 public key inside a `PeerId`, or `None` if the peer uses another key type.
pub fn key_of(peer: &PeerId) -> Option<PeerKey> {
    let multihash: &libp2p::multihash::Multihash<64> = peer.as_ref();
    if multihash.code() != IDENTITY_MULTIHASH {
        return None;
    }
    let public = PublicKey::try_decode_protobuf(multihash.digest()).ok()?;
    Some(public.try_into_ed25519().ok()?.to_bytes())
}

/// The libp2p keypair for ed25519 secret key bytes.
pub(crate) fn keypair_from_secret(secret: &[u8; 32]) -> Result<Keypair, NetworkError> {
    // `ed25519_from_bytes` zeroes its input, so it gets a copy.
    let mut bytes = *secret;
    Keypair::ed25519_from_bytes(&mut bytes).map_err(|e| NetworkError::InvalidConfig {
        field: "identity",
        reason: format!("not an ed25519 secret key: {e}"),
    })
}

/// The public key of ed25519 secret key bytes; useful to print a node's `PeerAddr`.
pub fn public_key_of_secret(secret: &[u8; 32]) -> Result<PeerKey, NetworkError> {
    let keypair = keypair_from_secret(secret)?;
    key_of(&keypair.public().to_peer_id()).ok_or(NetworkError::InvalidConfig {
        field: "identity",
        reason: "not an ed25519 key".into(),
    })
}

/// The TCP multiaddr of a socket address.
pub(crate) fn multiaddr_of(addr: &SocketAddr) -> Multiaddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) => Protocol::Ip4(ip),
        IpAddr::V6(ip) => Protocol::Ip6(ip),
    };
    Multiaddr::empty().with(ip).with(Protocol::Tcp(addr.port()))
}

/// The TCP port of a multiaddr, if it has one.
pub(crate) fn tcp_port_of(addr: &Multiaddr) -> Option<u16> {
    addr.iter().find_map(|p| match p {
        Protocol::Tcp(port) => Some(port),
        _ => None,
    })
}

/// A short printable form of a key for logs and errors: its full hex.
pub(crate) fn fmt_key(key: &PeerKey) -> String {
    hex::encode(key)
}

/// A static peer: its public key and where it listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddr {
    /// The peer's ed25519 public key.
    pub key: PeerKey,
    /// The peer's TCP listen address.
    pub addr: SocketAddr,
}

impl FromStr for PeerAddr {
    type Err = PeerAddrError;

    /// Parses `<64 hex chars of the ed25519 public key>@<ip>:<port>`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (key_hex, socket) = s
            .split_once('@')
            .ok_or_else(|| PeerAddrError::MissingAt(s.to_string()))?;
        let mut key = [0u8; 32];
        hex::decode_to_slice(key_hex, &mut key)
            .map_err(|_| PeerAddrError::KeyNotHex(key_hex.to_string()))?;
        if peer_id_of(&key).is_none() {
            return Err(PeerAddrError::KeyNotEd25519(key_hex.to_string()));
        }
        let addr = socket
            .parse::<SocketAddr>()
            .map_err(|_| PeerAddrError::BadSocket(socket.to_string()))?;
        Ok(Self { key, addr })
    }
}

impl fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", hex::encode(self.key), self.addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_id_and_key_convert_both_ways() {
        let keypair = Keypair::generate_ed25519();
        let peer = keypair.public().to_peer_id();
        let key = key_of(&peer).expect("ed25519 peer id");
        assert_eq!(peer_id_of(&key), Some(peer));
    }

    #[test]
    fn secret_key_gives_the_same_identity_as_libp2p() {
        let secret = [7u8; 32];
        let key = public_key_of_secret(&secret).expect("valid secret");
        let keypair = keypair_from_secret(&secret).expect("valid secret");
        assert_eq!(peer_id_of(&key), Some(keypair.public().to_peer_id()));
    }

    #[test]
    fn non_ed25519_peer_has_no_key() {
        // A sha2-256 multihash peer id, as used by large keys such as RSA.
        let hashed = libp2p::multihash::Multihash::<64>::wrap(0x12, &[9u8; 32]).expect("fits");
        let peer = PeerId::from_multihash(hashed).expect("valid sha256 peer id");
        assert_eq!(key_of(&peer), None);
    }
}
