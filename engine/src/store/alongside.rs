//! Making a step's values on a second thread while this one writes them.
//!
//! SQLite's work per row (a prepared `UPDATE` or `INSERT`) runs on the thread that holds the
//! connection. Making the values needs no connection: validate and collect validate each
//! line and write its errors as JSON, an import reads and checks each row of its CSV file.
//! On a machine with two cores that can run beside the writes instead of between them.

use std::sync::mpsc;

/// Values per handoff: each costs a lock and a wake-up, so they go in batches.
const BATCH: usize = 256;

/// Batches made ahead of the writer: enough to keep both threads busy, few enough that a
/// million values are never held at once (each batch is a few tens of kilobytes).
const AHEAD: usize = 4;

/// Calls `consume` with the items of `items`, in their order, while a second thread makes
/// them.
///
/// If `consume` returns before the end (an error), the second thread stops at its next
/// batch. A panic on the second thread is raised again here, after `consume` returns and
/// before its result is given back, so no caller commits a transaction on the strength of
/// items that were cut short.
pub(super) fn made_alongside<T: Send, R>(
    items: impl Iterator<Item = T> + Send,
    consume: impl FnOnce(&mut dyn Iterator<Item = T>) -> R,
) -> R {
    std::thread::scope(|scope| {
        let (sender, receiver) = mpsc::sync_channel::<Vec<T>>(AHEAD);
        let maker = scope.spawn(move || {
            let mut items = items;
            loop {
                let batch: Vec<T> = items.by_ref().take(BATCH).collect();
                // An empty batch is the end; a failed send, a writer that stopped.
                if batch.is_empty() || sender.send(batch).is_err() {
                    return;
                }
            }
        });
        let mut received = receiver.into_iter().flatten();
        let result = consume(&mut received);
        // The receiver goes with `received`: a maker waiting to send is let go.
        drop(received);
        if let Err(panic) = maker.join() {
            std::panic::resume_unwind(panic);
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_arrives_in_order() {
        for count in [0, 1, BATCH - 1, BATCH, BATCH + 1, 10 * BATCH * AHEAD + 7] {
            let got: Vec<usize> = made_alongside(0..count, |items| items.collect());
            assert_eq!(got, (0..count).collect::<Vec<_>>(), "{count} items");
        }
    }

    #[test]
    fn a_writer_that_stops_early_stops_the_maker() {
        let made = std::sync::atomic::AtomicUsize::new(0);
        let first: Vec<usize> = made_alongside(
            (0..1_000_000).inspect(|_| {
                made.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }),
            |items| items.take(3).collect(),
        );
        assert_eq!(first, [0, 1, 2]);
        // At most the batches in the channel, the one being sent and the one being made.
        let made = made.into_inner();
        assert!(made <= (AHEAD + 2) * BATCH, "{made} items made");
    }

    #[test]
    #[should_panic(expected = "the maker failed")]
    fn a_panic_while_making_reaches_the_writer() {
        let _: Vec<usize> = made_alongside(
            (0..10 * BATCH).inspect(|&i| assert!(i < BATCH + 3, "the maker failed")),
            |items| items.collect(),
        );
    }
}
