//! The event queue: events ordered by (time, insertion sequence), so equal-time events keep the
//! order in which they were scheduled. Stale events (a finish that was postponed) are skipped by
//! the handler through a generation number instead of being searched for in the heap.

use crate::model::{JobId, NodeId, SimTime, TaskId};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// Everything that can happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The next batch of trace jobs arrives.
    Submit,
    /// A scheduling cycle is due.
    Cycle,
    /// The job controller created the job's pods.
    PodsCreated(JobId),
    /// A bound pod's containers are running.
    PodStarted(TaskId),
    /// A terminating pod is gone (the controller recreates it as a pending pod).
    PodGone(TaskId),
    /// The job's work is done, if `generation` is still current.
    Finish {
        /// Job.
        job: JobId,
        /// Generation at scheduling time.
        generation: u32,
    },
    /// Timeline sample.
    Sample,
    /// The scheduler asked to look again at this time (a time-driven plugin). Like samples, wakes
    /// are not work: a run whose only future is a wake nobody wants any more has drained.
    Wake,
    /// A node fails; `until` is its repair time when a fault trace gives it (else it is drawn).
    NodeFail {
        /// Node.
        node: NodeId,
        /// Repair time from a trace.
        until: Option<SimTime>,
    },
    /// A failed node is repaired.
    NodeRepair(NodeId),
    /// One accelerator card of a node fails (a random card fault: the card is drawn).
    DeviceFail(NodeId),
    /// Card `card` of `node` fails (from the scenario's card fault list), until `until`.
    CardFail {
        /// Node.
        node: NodeId,
        /// Card index on the node.
        card: u32,
        /// Repair time.
        until: SimTime,
    },
    /// A failed card is back in service.
    CardRepair {
        /// Node.
        node: NodeId,
        /// Card index on the node.
        card: u32,
    },
    /// A standby spare node enters service.
    SpareIn(NodeId),
    /// Maintenance window `i` starts draining its nodes.
    DrainStart(u32),
    /// Maintenance window `i` reaches its deadline: pods still on its nodes are evicted.
    DrainDeadline(u32),
    /// Maintenance window `i` ends: its nodes return.
    DrainEnd(u32),
    /// A policy action delayed by its `timeout` is due, if `token` is still the job's pending one.
    PolicyDue {
        /// Job.
        job: JobId,
        /// Token of the pending action.
        token: u32,
    },
    /// A job's restart overhead is over: progress resumes if `generation` is still current.
    Resume {
        /// Job.
        job: JobId,
        /// Generation at scheduling time.
        generation: u32,
    },
}

impl Event {
    /// Whether the event keeps a run alive. Samples and wakes never do; fault events neither: a
    /// failure model runs forever, so faults only happen while there is other work (the
    /// simulation keeps capacity returns that a waiting job needs alive itself).
    pub fn is_work(&self) -> bool {
        !matches!(
            self,
            Event::Sample
                | Event::Wake
                | Event::NodeFail { .. }
                | Event::NodeRepair(_)
                | Event::DeviceFail(_)
                | Event::CardFail { .. }
                | Event::CardRepair { .. }
                | Event::SpareIn(_)
                | Event::DrainStart(_)
                | Event::DrainDeadline(_)
                | Event::DrainEnd(_)
        )
    }
}

#[derive(Debug)]
struct Entry {
    at: SimTime,
    seq: u64,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A deterministic event queue.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    now: SimTime,
    /// Events other than samples and wakes still queued.
    work: usize,
}

impl EventQueue {
    /// An empty queue at time zero.
    pub fn new() -> EventQueue {
        EventQueue::default()
    }

    /// Schedules `event` at `at` (never in the past).
    pub fn push(&mut self, at: SimTime, event: Event) {
        assert!(at >= self.now, "event {event:?} scheduled in the past ({at} < {})", self.now);
        self.seq += 1;
        if event.is_work() {
            self.work += 1;
        }
        self.heap.push(Reverse(Entry { at, seq: self.seq, event }));
    }

    /// Removes the next event and advances the clock to it.
    pub fn pop(&mut self) -> Option<(SimTime, Event)> {
        let Reverse(e) = self.heap.pop()?;
        if e.event.is_work() {
            self.work -= 1;
        }
        self.now = e.at;
        Some((e.at, e.event))
    }

    /// Time of the next event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse(e)| e.at)
    }

    /// Whether anything but samples and wakes remains.
    pub fn has_work(&self) -> bool {
        self.work > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_keep_insertion_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), Event::Cycle);
        q.push(SimTime(1), Event::Sample);
        q.push(SimTime(5), Event::Submit);
        q.push(SimTime(1), Event::PodsCreated(JobId(3)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![
                (SimTime(1), Event::Sample),
                (SimTime(1), Event::PodsCreated(JobId(3))),
                (SimTime(5), Event::Cycle),
                (SimTime(5), Event::Submit)
            ]
        );
        assert!(!q.has_work());
    }

    #[test]
    fn wakes_are_not_work() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), Event::Wake);
        assert!(!q.has_work());
        assert_eq!(q.pop(), Some((SimTime(5), Event::Wake)));
    }
}
