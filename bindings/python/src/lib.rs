//! Python binding for deploygov (work in progress).
