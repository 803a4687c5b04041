//! Small collections for per-connection state, and the trimming helpers idle connections
//! use. A map kept as a sorted `Vec`, for the small per-connection maps (a peer's channels, an
//! association's outgoing streams): a `BTreeMap` node is sized for eleven entries whatever the
//! count, which a server with thousands of one-channel peers pays for in full. Lookups are
//! binary searches; inserts and removes shift (the maps hold at most a few thousand entries, and
//! change far less often than they are read).

/// See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct SortedVec<K, V>(Vec<(K, V)>);

impl<K, V> Default for SortedVec<K, V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: Ord + Copy, V> SortedVec<K, V> {
    fn find(&self, k: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|(x, _)| x.cmp(k))
    }
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
    pub(crate) fn get(&self, k: &K) -> Option<&V> {
        self.find(k).ok().map(|i| &self.0[i].1)
    }
    pub(crate) fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.find(k).ok().map(|i| &mut self.0[i].1)
    }
    pub(crate) fn contains_key(&self, k: &K) -> bool {
        self.find(k).is_ok()
    }
    /// Inserts or replaces.
    pub(crate) fn insert(&mut self, k: K, v: V) {
        match self.find(&k) {
            Ok(i) => self.0[i].1 = v,
            Err(i) => self.0.insert(i, (k, v)),
        }
    }
    /// The entry for `k`, inserted with `V::default()` when absent.
    pub(crate) fn get_or_default(&mut self, k: K) -> &mut V
    where
        V: Default,
    {
        let i = match self.find(&k) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (k, V::default()));
                i
            }
        };
        &mut self.0[i].1
    }
    /// Where `k` is (`Ok`) or would go (`Err`): with [`at`](Self::at), [`at_mut`](Self::at_mut)
    /// and [`insert_at`](Self::insert_at), one search serves a look-up and a later insert (the
    /// slot stays valid while the map is not changed in between).
    pub(crate) fn slot(&self, k: &K) -> Result<usize, usize> {
        self.find(k)
    }
    /// The value in slot `i` (from [`slot`](Self::slot)'s `Ok`).
    pub(crate) fn at(&self, i: usize) -> &V {
        &self.0[i].1
    }
    /// The value in slot `i`, mutably.
    pub(crate) fn at_mut(&mut self, i: usize) -> &mut V {
        &mut self.0[i].1
    }
    /// Inserts `k` at slot `i` (from [`slot`](Self::slot)'s `Err` for that `k`).
    pub(crate) fn insert_at(&mut self, i: usize, k: K, v: V) -> &mut V {
        debug_assert_eq!(
            self.find(&k),
            Err(i),
            "invariant: the slot of a missing key"
        );
        self.0.insert(i, (k, v));
        &mut self.0[i].1
    }
    pub(crate) fn remove(&mut self, k: &K) -> Option<V> {
        let i = self.find(k).ok()?;
        Some(self.0.remove(i).1)
    }
    /// Keeps the entries `f` accepts (order is unchanged).
    pub(crate) fn retain(&mut self, mut f: impl FnMut(&K, &mut V) -> bool) {
        self.0.retain_mut(|(k, v)| f(k, v));
    }
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.0.iter_mut().map(|(_, v)| v)
    }
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }
    /// Drops spare capacity (the map's working size is reached; see `Peer`'s idle trim).
    pub(crate) fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
    pub(crate) fn clear(&mut self) {
        self.0 = Vec::new();
    }
}

/// An empty `BTreeMap` / `BTreeSet` keeps its root node (hundreds of bytes) after its last
/// removal; a fresh one allocates nothing.
macro_rules! reset_if_empty {
    ($($m:expr),* $(,)?) => {$(
        if $m.is_empty() {
            $m = Default::default();
        }
    )*};
}
pub(crate) use reset_if_empty;

/// Releases the capacity of queues that are empty (their working size comes back on demand).
macro_rules! shrink_if_empty {
    ($($q:expr),* $(,)?) => {$(
        if $q.is_empty() {
            $q.shrink_to_fit();
        }
    )*};
}
pub(crate) use shrink_if_empty;

#[cfg(test)]
mod tests {
    use super::SortedVec;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Behaves as a `BTreeMap` under any sequence of inserts, removes and lookups.
        #[test]
        fn same_as_a_btreemap(ops in proptest::collection::vec((0u8..3, 0u16..40, any::<u32>()), 0..200)) {
            let mut a = SortedVec::default();
            let mut b = BTreeMap::new();
            for (op, k, v) in ops {
                match op {
                    0 => { a.insert(k, v); b.insert(k, v); }
                    1 => prop_assert_eq!(a.remove(&k), b.remove(&k)),
                    _ => { *a.get_or_default(k) += 1; *b.entry(k).or_default() += 1; }
                }
                prop_assert_eq!(a.get(&k), b.get(&k));
                prop_assert_eq!(a.len(), b.len());
            }
            prop_assert!(a.iter().map(|(k, v)| (*k, *v)).eq(b.iter().map(|(k, v)| (*k, *v))));
        }
    }
}
