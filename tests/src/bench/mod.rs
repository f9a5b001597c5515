//! The pieces of `pharos-bench`: a deterministic transfer workload, the in-process block
//! benchmark and the end-to-end JSON-RPC benchmark.

pub mod bft;
pub mod block;
pub mod relay;
pub mod report;
pub mod rpc;
pub mod workload;
