//! Version tag comparison: semver tags as semver, anything else only for equality.

use std::cmp::Ordering;

/// Parses a tag as semver, accepting a leading `v`.
fn parse(tag: &str) -> Option<semver::Version> {
    semver::Version::parse(tag.strip_prefix('v').unwrap_or(tag)).ok()
}

/// Orders two tags when both are semver; `None` otherwise (non-semver tags are only equal or not).
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    if a == b {
        return Some(Ordering::Equal);
    }
    Some(parse(a)?.cmp(&parse(b)?))
}

/// Whether `tag` satisfies `requirement`: a semver requirement for semver tags, otherwise exact
/// equality. `*` matches anything.
pub fn satisfies(tag: &str, requirement: &str) -> bool {
    let req = requirement.trim();
    if req == "*" || req == tag {
        return true;
    }
    match (parse(tag), semver::VersionReq::parse(req)) {
        (Some(v), Ok(r)) => r.matches(&v),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_and_opaque_tags() {
        assert_eq!(compare("1.2.0", "1.10.0"), Some(Ordering::Less));
        assert_eq!(compare("v2.0.0", "1.9.9"), Some(Ordering::Greater));
        assert_eq!(compare("abc", "abd"), None);
        assert_eq!(compare("abc", "abc"), Some(Ordering::Equal));
        assert!(satisfies("1.4.2", "^1.2"));
        assert!(!satisfies("2.0.0", "^1.2"));
        assert!(satisfies("build-77", "build-77"));
        assert!(!satisfies("build-78", "build-77"));
        assert!(satisfies("anything", "*"));
    }
}
