//! End-to-end tests over real processes on 127.0.0.1, and what they share with
//! `pharos-bench`: the test applications.

pub mod apps;
