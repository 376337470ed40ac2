//! Nodes and pools, with Volcano's per-node accounting (`api/node_info.go`).

use super::ids::{NodeId, PoolId};
use super::job::TaskStatus;
use super::resources::Resources;
use std::collections::BTreeMap;

/// A group of identical nodes, as the scenario declares them.
#[derive(Clone, Debug)]
pub struct Pool {
    /// Pool name (`h100`).
    pub name: String,
    /// Allocatable resources of each node.
    pub allocatable: Resources,
    /// Accelerator model (`H100-80G`, `Ascend910B`), if the nodes carry accelerators.
    pub accelerator_model: Option<String>,
    /// Labels every node of the pool carries (the pool name and accelerator model are added).
    pub labels: BTreeMap<String, String>,
    /// Maximum pods per node (Kubernetes default 110).
    pub max_pods: u32,
    /// The cards of each node, when the pool declares accelerators.
    pub cards: Option<super::devices::CardSpec>,
}

/// One node with the four resource views Volcano keeps.
///
/// `idle + used = allocatable` always holds; `releasing` is part of `used` (pods terminating) and
/// `pipelined` is a claim on future resources. `future_idle = idle + releasing - pipelined` is what
/// the allocate action checks a request against.
#[derive(Clone, Debug)]
pub struct Node {
    /// Dense id.
    pub id: NodeId,
    /// Node name (`h100-003`).
    pub name: String,
    /// Pool the node belongs to.
    pub pool: PoolId,
    /// Allocatable resources.
    pub allocatable: Resources,
    /// Maximum pods.
    pub max_pods: u32,
    /// False while the node is down; unhealthy nodes leave the scheduler's snapshot.
    pub healthy: bool,
    /// Resources not held by any task.
    pub idle: Resources,
    /// Resources held by tasks (including releasing ones).
    pub used: Resources,
    /// Resources held by terminating tasks, free once they are gone.
    pub releasing: Resources,
    /// Resources promised to pipelined tasks.
    pub pipelined: Resources,
    /// Number of pods on the node (any non-terminal status, pipelined included).
    pub pods: u32,
}

impl Pool {
    /// A pool without accelerators or labels.
    pub fn plain(name: &str, allocatable: Resources, max_pods: u32) -> Pool {
        Pool { name: name.into(), allocatable, accelerator_model: None, labels: BTreeMap::new(), max_pods, cards: None }
    }
}

impl Node {
    /// A fresh, empty, healthy node.
    pub fn new(id: NodeId, name: String, pool: PoolId, allocatable: Resources, max_pods: u32) -> Node {
        Node {
            id,
            name,
            pool,
            allocatable,
            max_pods,
            healthy: true,
            idle: allocatable,
            used: Resources::ZERO,
            releasing: Resources::ZERO,
            pipelined: Resources::ZERO,
            pods: 0,
        }
    }

    /// `Idle + Releasing - Pipelined`: what will be free once terminating pods are gone and
    /// pipelined ones have been placed.
    #[inline]
    pub fn future_idle(&self) -> Resources {
        self.idle + self.releasing - self.pipelined
    }

    /// Adds a task's request in the given status (`NodeInfo.AddTask`).
    #[inline]
    pub fn add(&mut self, r: Resources, status: TaskStatus) {
        match status {
            TaskStatus::Releasing => {
                self.idle -= r;
                self.releasing += r;
                self.used += r;
            }
            TaskStatus::Pipelined => self.pipelined += r,
            _ => {
                self.idle -= r;
                self.used += r;
            }
        }
        self.pods += 1;
    }

    /// Removes a task's request in the given status (`NodeInfo.RemoveTask`).
    #[inline]
    pub fn remove(&mut self, r: Resources, status: TaskStatus) {
        match status {
            TaskStatus::Releasing => {
                self.idle += r;
                self.releasing -= r;
                self.used -= r;
            }
            TaskStatus::Pipelined => self.pipelined -= r,
            _ => {
                self.idle += r;
                self.used -= r;
            }
        }
        debug_assert!(self.pods > 0, "node {} pod count underflow", self.name);
        self.pods -= 1;
    }

    /// Checks the accounting identities; returns a description of the first violation.
    pub fn check(&self) -> Result<(), String> {
        if self.idle + self.used != self.allocatable {
            return Err(format!("{}: idle + used != allocatable", self.name));
        }
        if !Resources::ZERO.le(&self.idle) {
            return Err(format!("{}: over-allocated (idle {:?})", self.name, self.idle));
        }
        if !Resources::ZERO.le(&self.releasing) || !self.releasing.le(&self.used) {
            return Err(format!("{}: releasing out of range", self.name));
        }
        if !Resources::ZERO.le(&self.pipelined) {
            return Err(format!("{}: negative pipelined", self.name));
        }
        if self.pods > self.max_pods {
            return Err(format!("{}: {} pods > max {}", self.name, self.pods, self.max_pods));
        }
        Ok(())
    }
}
