//! Walking two sorted maps side by side: the diff and the access delta compare states of a
//! hundred thousand entries, and one ordered pass beats a tree search per entry.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The keys of two maps in order, each with its value on either side (`None`: absent there).
pub fn join<'a, K: Ord, V>(
    left: &'a BTreeMap<K, V>,
    right: &'a BTreeMap<K, V>,
) -> impl Iterator<Item = (&'a K, Option<&'a V>, Option<&'a V>)> {
    let (mut l, mut r) = (left.iter().peekable(), right.iter().peekable());
    std::iter::from_fn(move || {
        let order = match (l.peek(), r.peek()) {
            (None, None) => return None,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((a, _)), Some((b, _))) => a.cmp(b),
        };
        Some(match order {
            Ordering::Less => l.next().map(|(k, v)| (k, Some(v), None))?,
            Ordering::Greater => r.next().map(|(k, v)| (k, None, Some(v)))?,
            Ordering::Equal => {
                let (k, a) = l.next()?;
                let (_, b) = r.next()?;
                (k, Some(a), Some(b))
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_both_maps_in_key_order() {
        let map =
            |keys: &[u32]| -> BTreeMap<u32, u32> { keys.iter().map(|k| (*k, k * 10)).collect() };
        let (left, right) = (map(&[1, 2, 4]), map(&[2, 3, 4, 5]));
        let sides: Vec<_> = join(&left, &right)
            .map(|(k, a, b)| (*k, a.copied(), b.copied()))
            .collect();
        assert_eq!(
            sides,
            vec![
                (1, Some(10), None),
                (2, Some(20), Some(20)),
                (3, None, Some(30)),
                (4, Some(40), Some(40)),
                (5, None, Some(50)),
            ]
        );
        assert_eq!(join(&map(&[]), &map(&[])).count(), 0);
    }
}
