//! Node binding for deploygov (work in progress).
