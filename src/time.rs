//! Timers keyed by an enum: one deadline slot per kind, minimum in O(kinds).
//!
//! Every layer keeps its timers in a [`TimerTable`] indexed by its own `enum` of timer kinds
//! (the quinn-proto pattern). `poll_timeout` is the minimum over the slots; `handle_timeout` pops
//! the expired ones in deadline order. Time only ever enters as a `now: Instant` argument.

use std::fmt;
use std::marker::PhantomData;
use std::time::Instant;

/// An enum of timer kinds usable as a [`TimerTable`] key.
///
/// `index` must map the `COUNT` kinds onto `0..COUNT` one to one, and `from_index` must invert it.
pub(crate) trait TimerKey: Copy + Eq + fmt::Debug {
    /// How many kinds there are.
    const COUNT: usize;
    /// The slot of this kind, in `0..COUNT`.
    fn index(self) -> usize;
    /// The kind stored in slot `index` (`index < COUNT`).
    fn from_index(index: usize) -> Self;
}

/// Declares a timer enum and implements [`TimerKey`] for it.
///
/// ```text
/// crate::time::timer_key! {
///     /// The timers of a small protocol.
///     pub enum Timer {
///         /// Retransmit the last request.
///         Retransmit,
///         /// Give up.
///         Idle,
///     }
/// }
/// let mut t = TimerTable::<Timer>::new();
/// let now = std::time::Instant::now();
/// t.set(Timer::Idle, now);
/// assert_eq!(t.next(), Some((Timer::Idle, now)));
/// ```
macro_rules! timer_key {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $crate::time::TimerKey for $name {
            const COUNT: usize = [$($name::$variant),+].len();
            fn index(self) -> usize {
                self as usize
            }
            fn from_index(index: usize) -> Self {
                const ALL: &[$name] = &[$($name::$variant),+];
                ALL[index]
            }
        }
    };
}

pub(crate) use timer_key;

/// One optional deadline per timer kind.
#[derive(Clone)]
pub(crate) struct TimerTable<K: TimerKey> {
    slots: Box<[Option<Instant>]>,
    _key: PhantomData<K>,
}

impl<K: TimerKey> Default for TimerTable<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: TimerKey> fmt::Debug for TimerTable<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.slots
                    .iter()
                    .enumerate()
                    .filter_map(|(i, d)| d.map(|d| (K::from_index(i), d))),
            )
            .finish()
    }
}

impl<K: TimerKey> TimerTable<K> {
    /// A table with every timer stopped.
    pub(crate) fn new() -> Self {
        Self {
            slots: vec![None; K::COUNT].into_boxed_slice(),
            _key: PhantomData,
        }
    }

    /// Arms (or re-arms) `key` to fire at `deadline`.
    pub(crate) fn set(&mut self, key: K, deadline: Instant) {
        self.slots[key.index()] = Some(deadline);
    }

    /// Stops `key`.
    pub(crate) fn stop(&mut self, key: K) {
        self.slots[key.index()] = None;
    }

    /// Stops every timer.
    pub(crate) fn stop_all(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = None);
    }

    /// The deadline of `key`, if armed.
    #[cfg(test)]
    pub(crate) fn get(&self, key: K) -> Option<Instant> {
        self.slots[key.index()]
    }

    /// Whether `key` is armed.
    #[cfg(test)]
    pub(crate) fn is_armed(&self, key: K) -> bool {
        self.get(key).is_some()
    }

    /// The earliest armed timer; ties go to the lowest index, so the order is deterministic.
    pub(crate) fn next(&self) -> Option<(K, Instant)> {
        let mut best: Option<(usize, Instant)> = None;
        for (i, slot) in self.slots.iter().enumerate() {
            if let Some(d) = *slot
                && best.is_none_or(|(_, b)| d < b)
            {
                best = Some((i, d));
            }
        }
        best.map(|(i, d)| (K::from_index(i), d))
    }

    /// The earliest deadline, if any timer is armed.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.next().map(|(_, d)| d)
    }

    /// Stops and returns the earliest timer whose deadline is at or before `now`.
    ///
    /// Call in a loop to fire every expired timer in deadline order.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<K> {
        let (key, deadline) = self.next()?;
        if deadline > now {
            return None;
        }
        self.stop(key);
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    crate::time::timer_key! {
        enum T { A, B, C }
    }

    #[test]
    fn min_and_pop_in_deadline_order() {
        let base = crate::test_util::base();
        let mut t = TimerTable::<T>::new();
        assert_eq!(t.next(), None);
        t.set(T::C, base + Duration::from_millis(5));
        t.set(T::A, base + Duration::from_millis(10));
        t.set(T::B, base + Duration::from_millis(5));
        // Tie between B and C: lowest index first.
        assert_eq!(t.next(), Some((T::B, base + Duration::from_millis(5))));
        assert_eq!(t.pop_expired(base), None);
        let now = base + Duration::from_millis(7);
        assert_eq!(t.pop_expired(now), Some(T::B));
        assert_eq!(t.pop_expired(now), Some(T::C));
        assert_eq!(t.pop_expired(now), None);
        assert!(t.is_armed(T::A));
        t.stop_all();
        assert_eq!(t.next_deadline(), None);
    }

    #[test]
    fn rearming_replaces() {
        let base = crate::test_util::base();
        let mut t = TimerTable::<T>::new();
        t.set(T::A, base + Duration::from_secs(1));
        t.set(T::A, base + Duration::from_secs(3));
        assert_eq!(t.get(T::A), Some(base + Duration::from_secs(3)));
        assert_eq!(T::COUNT, 3);
        assert_eq!(T::from_index(T::C.index()), T::C);
    }
}
