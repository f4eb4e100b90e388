//! A small bounded map for text measurements and rasterized text.
//!
//! Badges show few distinct strings (tool names, tallies, labels), so a plain map that is
//! emptied when it fills is enough: it stays bounded under hostile input and costs one
//! hash and one read lock on a hit. It is bounded both by entries and by the bytes its
//! values hold, since one rasterized name can weigh a hundred kilobytes.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Arc;

use parking_lot::RwLock;

/// What a cached value holds on the heap, roughly, in bytes.
pub(crate) trait Weigh {
    /// Heap bytes held by the value.
    fn weight(&self) -> usize;
}

/// A concurrent map from `K` to shared `V`, holding at most `capacity` entries and
/// `max_bytes` of values.
pub(crate) struct BoundedCache<K, V> {
    map: RwLock<Entries<K, V>>,
    capacity: usize,
    max_bytes: usize,
    hasher: RandomState,
}

/// The entries and their total weight.
struct Entries<K, V> {
    map: HashMap<K, Arc<V>>,
    bytes: usize,
}

impl<K: Hash + Eq, V: Weigh> BoundedCache<K, V> {
    /// An empty cache that holds up to `capacity` entries and `max_bytes` of values.
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Self {
        BoundedCache {
            map: RwLock::new(Entries {
                map: HashMap::with_capacity(capacity.min(1024)),
                bytes: 0,
            }),
            capacity,
            max_bytes,
            hasher: RandomState::new(),
        }
    }

    /// A 64-bit digest of anything, with this cache's random keys.
    pub(crate) fn digest(&self, value: impl Hash) -> u64 {
        self.hasher.hash_one(value)
    }

    /// The value under `key`, if cached.
    pub(crate) fn get(&self, key: &K) -> Option<Arc<V>> {
        self.map.read().map.get(key).cloned()
    }

    /// Stores `value` under `key`, first emptying the cache if it is full. A value
    /// heavier than the whole budget is not kept.
    pub(crate) fn insert(&self, key: K, value: Arc<V>) {
        let weight = value.weight();
        if weight > self.max_bytes {
            return;
        }
        let mut entries = self.map.write();
        if entries.map.contains_key(&key) {
            return;
        }
        if entries.map.len() >= self.capacity || entries.bytes + weight > self.max_bytes {
            entries.map.clear();
            entries.bytes = 0;
        }
        entries.bytes += weight;
        entries.map.insert(key, value);
    }

    /// Number of cached entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.read().map.len()
    }

    /// Bytes the cached values hold.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.map.read().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Weigh for Vec<u8> {
        fn weight(&self) -> usize {
            self.len()
        }
    }

    #[test]
    fn bounded_by_entries_and_by_bytes() {
        let cache = BoundedCache::<u32, Vec<u8>>::new(3, 100);
        for k in 0..3 {
            cache.insert(k, Arc::new(vec![0; 10]));
        }
        assert_eq!((cache.len(), cache.bytes()), (3, 30));
        cache.insert(3, Arc::new(vec![0; 10]));
        assert_eq!((cache.len(), cache.bytes()), (1, 10), "full by entries");
        cache.insert(4, Arc::new(vec![0; 95]));
        assert_eq!((cache.len(), cache.bytes()), (1, 95), "full by bytes");
        cache.insert(5, Arc::new(vec![0; 101]));
        assert!(cache.get(&5).is_none(), "heavier than the budget");
        assert_eq!(cache.bytes(), 95);
        cache.insert(4, Arc::new(vec![0; 10]));
        assert_eq!(cache.bytes(), 95, "a key is weighed once");
    }
}
