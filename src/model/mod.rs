//! The data model: resources, nodes, queues, jobs and tasks. Depends on nothing else in tephra.

pub mod annotations;
pub mod clock;
pub mod cluster;
pub mod devices;
pub mod fragmentation;
pub mod ids;
pub mod job;
pub mod lifecycle;
pub mod node;
pub mod quantity;
pub mod queue;
pub mod queue_tree;
pub mod resources;
pub mod scalar_names;
pub mod time;
pub mod topology;

pub use clock::Clock;
pub use cluster::ClusterState;
pub use ids::{JobId, NodeId, PoolId, QueueId, TaskId};
pub use job::{Job, JobSpec, JobState, PodGroupPhase, Role, RoleDuration, Task, TaskStatus};
pub use node::{Node, Pool};
pub use queue::{NodeGroupAffinity, Queue, QueueState};
pub use resources::{Dim, Resources};
pub use time::{DurationMs, SimTime};
