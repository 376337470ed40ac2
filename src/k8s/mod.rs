//! Kubernetes-native inputs: Volcano Job, PodGroup, Queue and PriorityClass objects
//! ([`objects`]) as workload templates and queue definitions, and a fleet from
//! `kubectl get nodes -o json` ([`nodes`]), so a user can plan from their real cluster.

pub mod nodes;
pub mod objects;
pub mod resources;
