//! The hot read cache: the live version of each entity read so far, served from memory while the
//! store's [`ChangeStamp`] is unchanged.
//!
//! INVARIANT: every entry was read from the store in a transaction that began *after* the stamp
//! the map is kept under was taken. While the store still reports that stamp, nothing that could
//! change the active state has committed since (see [`crate::store::Store::change_stamp`]), so
//! every entry is what the store would answer now. A different stamp starts a new epoch, which
//! invalidates every entry at once (O(1): entries carry the epoch they were read in); entries
//! are then refilled one entity at a time, lazily, as entities are read.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::{Arc, RwLock};

use crate::model::ActiveEntry;
use crate::store::ChangeStamp;

/// Entries kept at most (live and absent entities); past it the map starts over.
const MAX_ENTRIES: usize = 200_000;

/// The key of one entity: project, environment, entity type, entity id.
pub(crate) type Key<'a> = [&'a str; 4];

/// A cached answer: the entity's live entry, or `None` when nothing is live for it.
type Answer = Option<Arc<ActiveEntry>>;

/// Keys this long or shorter are encoded on the stack.
const INLINE_KEY: usize = 160;

/// A [`Key`] encoded as one byte string: each part prefixed by its length (4 bytes, little
/// endian), so distinct keys never encode alike. One allocation per cached entity and one memory
/// comparison per lookup, instead of four of each.
pub(crate) struct KeyBytes {
    inline: [u8; INLINE_KEY],
    len: usize,
    heap: Vec<u8>,
}

impl KeyBytes {
    #[inline]
    pub(crate) fn new(key: Key<'_>) -> Self {
        let total: usize = key.iter().map(|p| p.len() + 4).sum();
        let mut out = Self { inline: [0; INLINE_KEY], len: 0, heap: Vec::new() };
        if total > INLINE_KEY {
            for part in key {
                out.heap.extend_from_slice(&part_len(part));
                out.heap.extend_from_slice(part.as_bytes());
            }
            return out;
        }
        for part in key {
            for chunk in [&part_len(part)[..], part.as_bytes()] {
                if let Some(dst) = out.inline.get_mut(out.len..out.len + chunk.len()) {
                    dst.copy_from_slice(chunk);
                }
                out.len += chunk.len();
            }
        }
        out
    }

    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        if self.heap.is_empty() { self.inline.get(..self.len).unwrap_or_default() } else { &self.heap }
    }
}

/// A part's length prefix; parts longer than 4 GiB cannot reach here (the store refuses texts over
/// 1 MiB), and would only share a prefix, never an answer, with another key of equal bytes.
fn part_len(part: &str) -> [u8; 4] {
    u32::try_from(part.len()).unwrap_or(u32::MAX).to_le_bytes()
}

/// Key bytes this long or shorter are stored inside the map's bucket (no pointer to follow on a
/// lookup: one cache miss less per read).
const BUCKET_KEY: usize = 62;

/// A stored key: in the bucket when short, on the heap otherwise. Hashes and compares as its
/// bytes, so the map can be searched with a plain `&[u8]` (`Borrow<[u8]>`).
enum StoredKey {
    Short { len: u8, bytes: [u8; BUCKET_KEY] },
    Long(Box<[u8]>),
}

impl StoredKey {
    fn new(key: &[u8]) -> Self {
        let mut bytes = [0u8; BUCKET_KEY];
        match (bytes.get_mut(..key.len()), u8::try_from(key.len())) {
            (Some(dst), Ok(len)) => {
                dst.copy_from_slice(key);
                Self::Short { len, bytes }
            }
            _ => Self::Long(key.into()),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Self::Short { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            Self::Long(b) => b,
        }
    }
}

impl std::borrow::Borrow<[u8]> for StoredKey {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

impl std::hash::Hash for StoredKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes().hash(state);
    }
}

impl PartialEq for StoredKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for StoredKey {}

struct Slot {
    /// The epoch the answer was read in; valid only while it is the map's epoch.
    epoch: u64,
    answer: Answer,
    /// The live version tag, kept in the bucket too when it is short (most are), so
    /// `active_version_tag` reads neither the shared entry nor its count.
    tag: Option<ShortTag>,
}

/// Tags this long or shorter are kept in the bucket.
const SHORT_TAG: usize = 23;

/// A short copy of a version tag.
struct ShortTag {
    len: u8,
    bytes: [u8; SHORT_TAG],
}

impl ShortTag {
    fn of(answer: &Answer) -> Option<Self> {
        let tag = answer.as_ref()?.version_tag.as_bytes();
        let mut bytes = [0u8; SHORT_TAG];
        bytes.get_mut(..tag.len())?.copy_from_slice(tag);
        Some(Self { len: u8::try_from(tag.len()).ok()?, bytes })
    }

    fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.bytes.get(..usize::from(self.len))?).ok()
    }
}

impl Slot {
    /// The live version tag, `None` when nothing is live.
    fn tag(&self) -> Option<String> {
        let entry = self.answer.as_ref()?;
        Some(self.tag.as_ref().and_then(ShortTag::as_str).map_or_else(|| entry.version_tag.clone(), str::to_owned))
    }
}

/// FxHash's multiply-rotate mixing over 8-byte words, seeded per cache. Not collision-resistant
/// against an adversary who knows the seed: colliding keys cost probes, never a wrong answer
/// (the map compares the keys).
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
        let chunks = bytes.chunks_exact(8);
        let mut last = [0u8; 8];
        last.iter_mut().zip(chunks.remainder()).for_each(|(d, s)| *d = *s);
        for c in chunks {
            let mut w = [0u8; 8];
            w.iter_mut().zip(c).for_each(|(d, s)| *d = *s);
            self.0 = mix(self.0, u64::from_le_bytes(w));
        }
        self.0 = mix(mix(self.0, u64::from_le_bytes(last)), bytes.len() as u64);
    }
}

/// Builds [`Fx`] hashers from a per-cache random seed.
#[derive(Clone, Copy)]
struct Seeded(u64);

impl BuildHasher for Seeded {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx(self.0)
    }
}

struct Map {
    stamp: Option<ChangeStamp>,
    /// Moves whenever `stamp` changes.
    epoch: u64,
    slots: HashMap<StoredKey, Slot, Seeded>,
}

/// See the module documentation.
pub(crate) struct ActiveCache {
    map: RwLock<Map>,
}

impl ActiveCache {
    pub(crate) fn new() -> Self {
        let seed = Seeded(RandomState::new().hash_one(0x5eed_u64));
        Self { map: RwLock::new(Map { stamp: None, epoch: 0, slots: HashMap::with_hasher(seed) }) }
    }

    /// The cached answer for `key` if the map is still valid under `stamp`; `None` on a miss.
    pub(crate) fn get(&self, stamp: &ChangeStamp, key: &KeyBytes) -> Option<Answer> {
        self.find(stamp, key, |s| s.answer.clone())
    }

    /// Like [`Self::get`], only the live version tag (`Some(None)`: cached as nothing live).
    pub(crate) fn get_tag(&self, stamp: &ChangeStamp, key: &KeyBytes) -> Option<Option<String>> {
        self.find(stamp, key, Slot::tag)
    }

    /// `read` of the slot of `key` if the map is still valid under `stamp` and the slot is of
    /// the current epoch.
    fn find<R>(&self, stamp: &ChangeStamp, key: &KeyBytes, read: impl FnOnce(&Slot) -> R) -> Option<R> {
        let map = self.map.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.stamp.as_ref() != Some(stamp) {
            return None;
        }
        map.slots.get(key.bytes()).filter(|s| s.epoch == map.epoch).map(read)
    }

    /// Records `answer`, read from the store in a transaction that began after `stamp` was taken.
    pub(crate) fn put(&self, stamp: ChangeStamp, key: &KeyBytes, answer: Answer) {
        let mut map = self.map.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        // INVARIANT: entries read under another stamp (older, or newer than ours: another thread
        // may have refilled meanwhile) are invalidated by a new epoch, never mixed with our
        // answer. Invalidating newer entries for an older stamp only costs misses: the next read
        // sees the newer stamp again.
        if map.stamp.as_ref() != Some(&stamp) {
            map.stamp = Some(stamp);
            map.epoch += 1;
        }
        if map.slots.len() >= MAX_ENTRIES {
            map.slots.clear();
        }
        let epoch = map.epoch;
        let tag = ShortTag::of(&answer);
        if let Some(slot) = map.slots.get_mut(key.bytes()) {
            *slot = Slot { epoch, answer, tag };
            return;
        }
        map.slots.insert(StoredKey::new(key.bytes()), Slot { epoch, answer, tag });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;
    use crate::model::ActiveEntry;

    #[test]
    fn keys_that_join_alike_stay_apart() {
        let a = KeyBytes::new(["ab", "c", "d", "e"]);
        let b = KeyBytes::new(["a", "bc", "d", "e"]);
        assert_ne!(a.bytes(), b.bytes());
        let long = "x".repeat(INLINE_KEY);
        let c = KeyBytes::new(["p", "e", "t", &long]);
        assert!(c.bytes().len() > INLINE_KEY && c.bytes().ends_with(long.as_bytes()));
        assert_eq!(KeyBytes::new(["p", "e", "t", &long]).bytes(), c.bytes());
        // Exactly at the inline limit: 4 length prefixes and 144 bytes of text.
        let edge = "y".repeat(INLINE_KEY - 16 - 3);
        let d = KeyBytes::new(["p", "e", "t", &edge]);
        assert_eq!(d.bytes().len(), INLINE_KEY);
    }

    #[test]
    fn answers_are_served_only_under_their_stamp() {
        let cache = ActiveCache::new();
        let (s1, s2) = (ChangeStamp::new(1), ChangeStamp::new(2));
        let long = "z".repeat(300);
        let keys = [KeyBytes::new(["p", "prod", "prompt", "a"]), KeyBytes::new(["p", "prod", "prompt", &long])];
        let entry: ActiveEntry = serde_json::from_value(serde_json::json!({
            "environment": "prod", "entity_type": "prompt", "entity_id": "a",
            "version_tag": "v1", "deployment_id": "d", "since": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        for key in &keys {
            assert!(cache.get(&s1, key).is_none());
            cache.put(s1, key, Some(Arc::new(entry.clone())));
            assert_eq!(cache.get(&s1, key).unwrap().unwrap().version_tag, "v1");
        }
        // Keys around the size kept inside the bucket (4 prefixes + 3 one-byte parts + the id).
        for n in [BUCKET_KEY - 20, BUCKET_KEY - 19, BUCKET_KEY - 18] {
            let id = "k".repeat(n);
            let key = KeyBytes::new(["p", "e", "t", &id]);
            assert_eq!(key.bytes().len(), n + 19);
            cache.put(s1, &key, None);
            assert_eq!(cache.get(&s1, &key), Some(None), "key of {} bytes", n + 19);
            assert!(cache.get(&s1, &KeyBytes::new(["p", "e", "t", &id.replace('k', "j")])).is_none());
        }
        // The tag alone: kept in the bucket when short, read from the entry when long.
        let long_tag = "9".repeat(SHORT_TAG + 1);
        for tag in ["v1", &"8".repeat(SHORT_TAG), &long_tag] {
            let mut e = entry.clone();
            e.version_tag = tag.to_owned();
            cache.put(s1, &keys[0], Some(Arc::new(e)));
            assert_eq!(cache.get_tag(&s1, &keys[0]), Some(Some(tag.to_owned())), "tag of {} bytes", tag.len());
        }
        assert!(cache.get_tag(&s2, &keys[0]).is_none());
        cache.put(s1, &KeyBytes::new(["p", "prod", "prompt", "gone"]), None);
        assert_eq!(cache.get_tag(&s1, &KeyBytes::new(["p", "prod", "prompt", "gone"])), Some(None));
        assert_eq!(cache.get(&s1, &KeyBytes::new(["p", "prod", "prompt", "gone"])), Some(None), "absence is cached too");
        assert!(cache.get(&s2, &keys[0]).is_none(), "another stamp is a miss");
        cache.put(s2, &keys[1], None);
        assert!(cache.get(&s2, &keys[0]).is_none(), "entries of the old epoch are gone");
        assert_eq!(cache.get(&s2, &keys[1]), Some(None));
    }
}
