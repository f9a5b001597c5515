//! Exercise the pool through its public API and check internal invariants after each step.

mod best_tests;
mod concurrency_tests;
mod eviction_tests;
mod mock;
mod nonce_tests;
mod property_tests;
mod validation_tests;
