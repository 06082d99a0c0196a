//! The end-to-end suite (filled in with the shell).
