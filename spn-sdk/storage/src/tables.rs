//! Name the column families and their key layouts.

/// Head pointer and chain identity (`head`, `genesis`, `chain_id`, `schema`).
pub const META: &str = "meta";
/// address(20) → nonce(8) ‖ balance(32) ‖ code_hash(32) ‖ storage_root(32).
pub const ACCOUNTS: &str = "accounts";
/// address(20) ‖ slot(32) → value(32), zero values absent.
pub const STORAGE: &str = "storage";
/// code_hash(32) → bytecode.
pub const CODE: &str = "code";
/// owner(32) ‖ nibble path (one byte per nibble) → trie node RLP.
pub const TRIE: &str = "trie";
/// number(8, big endian) → header RLP.
pub const HEADERS: &str = "headers";
/// number(8) → block hash(32), canonical chain.
pub const CANONICAL: &str = "canonical";
/// block hash(32) → number(8).
pub const HASHES: &str = "hashes";
/// number(8) → transactions with senders.
pub const BODIES: &str = "bodies";
/// number(8) → receipts.
pub const RECEIPTS: &str = "receipts";
/// tx hash(32) → number(8) ‖ index(4).
pub const TX_INDEX: &str = "tx_index";
/// log address(20) ‖ number(8) → empty: blocks where an address emitted logs.
pub const LOG_INDEX: &str = "log_index";

/// owner(32) ‖ path length(1) ‖ path ‖ !number(8) → trie node RLP (empty: deleted), for the
/// accounts whose past states are kept (see `history`).
pub const TRIE_HISTORY: &str = "trie_history";

/// All column families.
pub const ALL: [&str; 13] = [
    META,
    ACCOUNTS,
    STORAGE,
    CODE,
    TRIE,
    HEADERS,
    CANONICAL,
    HASHES,
    BODIES,
    RECEIPTS,
    TX_INDEX,
    LOG_INDEX,
    TRIE_HISTORY,
];

/// `META` key of the head: number(8) ‖ hash(32).
pub const KEY_HEAD: &[u8] = b"head";
/// `META` key of the chain id: u64 big endian.
pub const KEY_CHAIN_ID: &[u8] = b"chain_id";
/// `META` key present when trie history was recorded from genesis on.
pub const KEY_HISTORY_FROM: &[u8] = b"history_from";
/// `META` key of the schema version.
pub const KEY_SCHEMA: &[u8] = b"schema";
/// Current schema version.
pub const SCHEMA_VERSION: u64 = 1;
