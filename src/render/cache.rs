//! A small bounded map for text measurements.
//!
//! Badges show few distinct strings (tool names, tallies, labels), so a plain map that is
//! emptied when it fills is enough: it stays bounded under hostile input and costs one
//! hash and one read lock on a hit.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Arc;

use parking_lot::RwLock;

/// A concurrent map from `K` to shared `V`, holding at most `capacity` entries.
pub(crate) struct BoundedCache<K, V> {
    map: RwLock<HashMap<K, Arc<V>>>,
    capacity: usize,
    hasher: RandomState,
}

impl<K: Hash + Eq, V> BoundedCache<K, V> {
    /// An empty cache that holds up to `capacity` entries.
    pub(crate) fn new(capacity: usize) -> Self {
        BoundedCache {
            map: RwLock::new(HashMap::with_capacity(capacity.min(1024))),
            capacity,
            hasher: RandomState::new(),
        }
    }

    /// A 64-bit digest of anything, with this cache's random keys.
    pub(crate) fn digest(&self, value: impl Hash) -> u64 {
        self.hasher.hash_one(value)
    }

    /// The value under `key`, if cached.
    pub(crate) fn get(&self, key: &K) -> Option<Arc<V>> {
        self.map.read().get(key).cloned()
    }

    /// Stores `value` under `key`, first emptying the cache if it is full.
    pub(crate) fn insert(&self, key: K, value: Arc<V>) {
        let mut map = self.map.write();
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, value);
    }

    /// Number of cached entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.read().len()
    }
}
