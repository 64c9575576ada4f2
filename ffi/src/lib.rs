//! C ABI for deploygov (work in progress).
