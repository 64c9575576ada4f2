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
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{Arc, RwLock};

use crate::model::ActiveEntry;
use crate::store::ChangeStamp;

/// Entries kept at most (live and absent entities); past it the map starts over.
const MAX_ENTRIES: usize = 200_000;

/// The key of one entity: project, environment, entity type, entity id.
pub(crate) type Key<'a> = [&'a str; 4];

/// A cached answer: the entity's live entry, or `None` when nothing is live for it.
type Answer = Option<Arc<ActiveEntry>>;

struct Slot {
    key: [Box<str>; 4],
    /// The epoch the answer was read in; valid only while it is the map's epoch.
    epoch: u64,
    answer: Answer,
}

/// The outer map is keyed by a hash already computed with a per-cache random key.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in for completeness.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

#[derive(Default)]
struct Map {
    stamp: Option<ChangeStamp>,
    /// Moves whenever `stamp` changes.
    epoch: u64,
    /// Slots by key hash (collisions share a bucket).
    slots: HashMap<u64, Vec<Slot>, BuildHasherDefault<PassThrough>>,
    len: usize,
}

impl Map {
    fn find(&self, hash: u64, key: Key<'_>) -> Option<&Slot> {
        self.slots.get(&hash)?.iter().find(|s| same(s, key))
    }

    fn find_mut(&mut self, hash: u64, key: Key<'_>) -> Option<&mut Slot> {
        self.slots.get_mut(&hash)?.iter_mut().find(|s| same(s, key))
    }
}

fn same(s: &Slot, key: Key<'_>) -> bool {
    let [p, e, t, i] = key;
    let [sp, se, st, si] = &s.key;
    **si == *i && **st == *t && **se == *e && **sp == *p
}

/// See the module documentation.
pub(crate) struct ActiveCache {
    /// A per-cache random seed of the key hash.
    seed: u64,
    map: RwLock<Map>,
}

impl ActiveCache {
    pub(crate) fn new() -> Self {
        Self { seed: RandomState::new().hash_one(0x5eed_u64), map: RwLock::new(Map::default()) }
    }

    /// A fast multiply-rotate hash of the key (FxHash's mixing), seeded per cache. Not
    /// collision-resistant against an adversary who knows the seed: colliding keys share a
    /// bucket and cost a linear search, never a wrong answer.
    pub(crate) fn hash(&self, key: Key<'_>) -> u64 {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
        let mut h = self.seed;
        for part in key {
            let chunks = part.as_bytes().chunks_exact(8);
            let mut last = [0u8; 8];
            last.iter_mut().zip(chunks.remainder()).for_each(|(d, s)| *d = *s);
            for c in chunks {
                let mut w = [0u8; 8];
                w.iter_mut().zip(c).for_each(|(d, s)| *d = *s);
                h = mix(h, u64::from_le_bytes(w));
            }
            h = mix(mix(h, u64::from_le_bytes(last)), part.len() as u64);
        }
        h
    }

    /// The cached answer for `key` if the map is still valid under `stamp`; `None` on a miss.
    pub(crate) fn get(&self, stamp: &ChangeStamp, hash: u64, key: Key<'_>) -> Option<Answer> {
        let map = self.map.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.stamp.as_ref() != Some(stamp) {
            return None;
        }
        map.find(hash, key).filter(|s| s.epoch == map.epoch).map(|s| s.answer.clone())
    }

    /// Records `answer`, read from the store in a transaction that began after `stamp` was taken.
    pub(crate) fn put(&self, stamp: ChangeStamp, hash: u64, key: Key<'_>, answer: Answer) {
        let mut map = self.map.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        // INVARIANT: entries read under another stamp (older, or newer than ours: another thread
        // may have refilled meanwhile) are invalidated by a new epoch, never mixed with our
        // answer. Invalidating newer entries for an older stamp only costs misses: the next read
        // sees the newer stamp again.
        if map.stamp.as_ref() != Some(&stamp) {
            map.stamp = Some(stamp);
            map.epoch += 1;
        }
        if map.len >= MAX_ENTRIES {
            map.slots.clear();
            map.len = 0;
        }
        let epoch = map.epoch;
        if let Some(slot) = map.find_mut(hash, key) {
            slot.epoch = epoch;
            slot.answer = answer;
            return;
        }
        map.slots.entry(hash).or_default().push(Slot { key: key.map(Box::from), epoch, answer });
        map.len += 1;
    }
}
