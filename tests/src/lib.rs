//! End-to-end tests over real processes on 127.0.0.1.
