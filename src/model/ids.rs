//! Dense integer ids. Every store is a `Vec` indexed by these, so iteration order is creation order
//! and never depends on a hasher.

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The id as a `Vec` index.
            #[inline]
            pub fn idx(self) -> usize {
                self.0 as usize
            }
        }
    };
}

dense_id!(
    /// A node of the simulated fleet.
    NodeId
);
dense_id!(
    /// A node pool (nodes of one shape).
    PoolId
);
dense_id!(
    /// A job (one PodGroup).
    JobId
);
dense_id!(
    /// A task (one pod) of a job.
    TaskId
);
dense_id!(
    /// A queue.
    QueueId
);
