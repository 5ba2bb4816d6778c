//! Grouping equal keys (questions, GUIDs) without maps keyed by them: their 64-bit hashes,
//! sorted, with equal hashes told apart by comparing the keys, so grouping stays exact. A
//! million questions in a map keyed by them took 50 to 70 MB; their hashes take 16.

use std::collections::hash_map::DefaultHasher;
use std::hash::{BuildHasher, BuildHasherDefault, Hash};

/// A hash with fixed keys: only the grouping depends on it, and that is exact whatever it is.
fn fixed_hash(key: impl Hash) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(key)
}

/// The items' hashes with their indexes, sorted: equal keys are adjacent, in index order.
fn sorted_hashes<K: Hash>(count: usize, key: &impl Fn(usize) -> K) -> Vec<(u64, u32)> {
    let mut hashed: Vec<(u64, u32)> = (0..count)
        .map(|index| (fixed_hash(key(index)), index as u32))
        .collect();
    hashed.sort_unstable();
    hashed
}

/// Calls `each(index, first)` for every item in sorted-hash order with the index of the first
/// item whose key equals its own.
fn for_each_first<K: Hash + Eq>(
    hashed: &[(u64, u32)],
    key: &impl Fn(usize) -> K,
    mut each: impl FnMut(u32, u32),
) {
    // Within a run of equal hashes, the distinct keys' first indexes: nearly always one.
    let mut distinct: Vec<u32> = Vec::new();
    for (at, &(hash, index)) in hashed.iter().enumerate() {
        if at == 0 || hashed[at - 1].0 != hash {
            distinct.clear();
        }
        let item = key(index as usize);
        match distinct.iter().find(|&&d| key(d as usize) == item) {
            Some(&d) => each(index, d),
            None => {
                distinct.push(index);
                each(index, index);
            }
        }
    }
}

/// For each of `count` items, the index of the first item with the same key: a card's first
/// copy.
pub(super) fn first_of_each<K: Hash + Eq>(count: usize, key: impl Fn(usize) -> K) -> Vec<u32> {
    let hashed = sorted_hashes(count, &key);
    let mut first = vec![0; count];
    for_each_first(&hashed, &key, |index, d| first[index as usize] = d);
    first
}

/// Items grouped by key, each group's members in index order, found by a key's hash.
pub(super) struct Groups {
    /// Every item's index, group after group.
    members: Vec<u32>,
    /// Per group: the hash of its key, where its members start and how many there are,
    /// sorted by hash.
    groups: Vec<(u64, u32, u32)>,
}

impl Groups {
    pub(super) fn new<K: Hash + Eq>(count: usize, key: impl Fn(usize) -> K) -> Self {
        let hashed = sorted_hashes(count, &key);
        let first = {
            let mut first = vec![0u32; count];
            for_each_first(&hashed, &key, |index, d| first[index as usize] = d);
            first
        };
        // Members of a group sit together in index order: sorted by (hash, first, index).
        let mut order: Vec<(u64, u32, u32)> = hashed
            .into_iter()
            .map(|(hash, index)| (hash, first[index as usize], index))
            .collect();
        drop(first);
        order.sort_unstable();
        let mut groups: Vec<(u64, u32, u32)> = Vec::new();
        for (at, &(hash, first, _)) in order.iter().enumerate() {
            match groups.last_mut() {
                Some(last) if at > 0 && order[at - 1].0 == hash && order[at - 1].1 == first => {
                    last.2 += 1
                }
                _ => groups.push((hash, at as u32, 1)),
            }
        }
        let members = order.into_iter().map(|(_, _, index)| index).collect();
        Groups { members, groups }
    }

    /// The members of the group whose key is `wanted`, in index order (empty when none);
    /// `key` gives an item's key.
    pub(super) fn of<K: Hash + Eq>(&self, wanted: K, key: impl Fn(usize) -> K) -> &[u32] {
        let hash = fixed_hash(&wanted);
        let from = self.groups.partition_point(|g| g.0 < hash);
        self.groups[from..]
            .iter()
            .take_while(|g| g.0 == hash)
            .map(|&(_, start, len)| &self.members[start as usize..(start + len) as usize])
            .find(|members| key(members[0] as usize) == wanted)
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key hashed by its length alone: every key of one length collides.
    #[derive(PartialEq, Eq)]
    struct ByLength<'a>(&'a str);

    impl Hash for ByLength<'_> {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            self.0.len().hash(state);
        }
    }

    const KEYS: [&str; 9] = ["ab", "cd", "ab", "x", "cd", "cd", "y", "x", "abc"];

    #[test]
    fn first_copies_are_found_exactly_even_when_hashes_collide() {
        let first = first_of_each(KEYS.len(), |index| ByLength(KEYS[index]));
        assert_eq!(first, [0, 1, 0, 3, 1, 1, 6, 3, 8]);
        assert!(first_of_each(0, |index| KEYS[index]).is_empty());
    }

    #[test]
    fn groups_hold_equal_keys_in_order_even_when_hashes_collide() {
        let key = |index: usize| ByLength(KEYS[index]);
        let groups = Groups::new(KEYS.len(), key);
        assert_eq!(groups.of(ByLength("cd"), key), [1, 4, 5]);
        assert_eq!(groups.of(ByLength("ab"), key), [0, 2]);
        assert_eq!(groups.of(ByLength("y"), key), [6]);
        assert_eq!(groups.of(ByLength("abc"), key), [8]);
        assert!(groups.of(ByLength("zz"), key).is_empty());
        assert!(groups.of(ByLength("missing"), key).is_empty());
    }
}
