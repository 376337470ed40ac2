//! Scheduler plugins, one file each, and the registry that builds them by Volcano's names.

pub mod binpack;
pub mod capacity;
pub mod capacity_hierarchy;
pub mod capacity_unified;
pub mod cdp;
pub mod conformance;
pub mod deviceshare;
pub mod drf;
pub mod fgd;
pub mod gang;
pub mod hdrf;
pub mod network_topology_aware;
pub mod nodegroup;
pub mod nodeorder;
pub mod overcommit;
pub mod predicates;
pub mod priority;
pub mod proportion;
pub mod rescheduling;
pub mod resource_strategy_fit;
pub mod sla;
pub mod task_topology;
pub mod tdm;
pub mod usage;

use super::conf::PluginOption;

/// Plugins that work on per-card state: a run with any of them tracks cards.
pub const CARD_PLUGINS: &[&str] = &["deviceshare", "fgd", "bestfit", "packing", "clustering", "dotprod", "random"];
use super::plugin::Plugin;
use crate::model::scalar_names::NameLookup;

/// The checks proportion and capacity make before their quota test in JobEnqueueable: a closed
/// queue rejects, a job without minimum resources is admitted; `None` means "apply the quota".
pub fn queue_gate(st: &crate::model::ClusterState, job: &crate::model::Job) -> Option<super::plugin::Vote> {
    use super::plugin::Vote;
    if st.queues[job.queue.idx()].state != crate::model::QueueState::Open {
        return Some(Vote::Reject);
    }
    job.min_resources.is_empty().then_some(Vote::Permit)
}

/// Builds a plugin from its configuration entry to check its arguments, before any scenario has
/// bound extended resource names (well-formed ones pass); argument errors name the plugin and key.
pub fn build(opt: &PluginOption) -> Result<Box<dyn Plugin>, String> {
    build_with(opt, NameLookup::Lenient)
}

/// Builds a plugin from its configuration entry, resolving resource names in its arguments
/// through `names`.
pub fn build_with(opt: &PluginOption, names: NameLookup) -> Result<Box<dyn Plugin>, String> {
    let args = &opt.arguments;
    let no_args = |name: &str| args.check_known(name, &[], &[]);
    Ok(match opt.name.as_str() {
        "priority" => {
            no_args("priority")?;
            Box::new(priority::Priority)
        }
        "gang" => {
            no_args("gang")?;
            Box::new(gang::Gang)
        }
        "conformance" => {
            no_args("conformance")?;
            Box::new(conformance::Conformance)
        }
        "drf" => {
            no_args("drf")?;
            if opt.hierarchy() { Box::new(hdrf::HierarchicalDrf::default()) } else { Box::new(drf::Drf::default()) }
        }
        "overcommit" => Box::new(overcommit::Overcommit::new(args)?),
        "predicates" => Box::new(predicates::Predicates::new(args)?),
        "proportion" => {
            no_args("proportion")?;
            Box::new(proportion::Proportion::default())
        }
        "nodeorder" => Box::new(nodeorder::NodeOrder::new(args)?),
        "binpack" => Box::new(binpack::Binpack::new(args, names)?),
        "sla" => Box::new(sla::Sla::new(args)?),
        "capacity" => {
            // Volcano reads `ancestorReclaimLevel` in both modes; only the hierarchy uses it.
            args.check_known("capacity", &["ancestorReclaimLevel"], &[])?;
            let level = match args.0.get("ancestorReclaimLevel") {
                None => 0,
                Some(super::conf::ArgValue::Int(i)) if *i >= 0 => *i as usize,
                Some(v) => {
                    return Err(format!(
                        "plugin `capacity`: argument `ancestorReclaimLevel`: `{v}` is not a non-negative integer"
                    ));
                }
            };
            if opt.hierarchy() {
                Box::new(capacity_hierarchy::HierarchicalCapacity::new(level))
            } else {
                Box::new(capacity::Capacity::default())
            }
        }
        "task-topology" => Box::new(task_topology::TaskTopology::new(args)?),
        "usage" => Box::new(usage::Usage::new(args)?),
        "resource-strategy-fit" => Box::new(resource_strategy_fit::ResourceStrategyFit::new(args, names)?),
        "nodegroup" => Box::new(nodegroup::NodeGroup::new(args, opt.hierarchy())?),
        "tdm" => Box::new(tdm::Tdm::new(args)?),
        "cdp" => {
            no_args("cdp")?;
            Box::new(cdp::Cdp::default())
        }
        "rescheduling" => Box::new(rescheduling::Rescheduling::new(args)?),
        "network-topology-aware" => Box::new(network_topology_aware::NetworkTopologyAware::new(args, names)?),
        "deviceshare" => Box::new(deviceshare::DeviceShare::new(args)?),
        name if fgd::Policy::from_name(name).is_some() => {
            Box::new(fgd::FgdPlugin::new(fgd::Policy::from_name(name).expect("checked"), args)?)
        }
        other => return Err(format!("plugin `{other}` is not implemented")),
    })
}
