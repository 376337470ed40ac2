//! Scheduler plugins, one file each, and the registry that builds them by Volcano's names.

pub mod binpack;
pub mod capacity;
pub mod cdp;
pub mod conformance;
pub mod drf;
pub mod gang;
pub mod nodeorder;
pub mod overcommit;
pub mod predicates;
pub mod priority;
pub mod proportion;
pub mod rescheduling;
pub mod sla;
pub mod tdm;

use super::conf::PluginOption;
use super::plugin::Plugin;

/// The checks proportion and capacity make before their quota test in JobEnqueueable: a closed
/// queue rejects, a job without minimum resources is admitted; `None` means "apply the quota".
pub fn queue_gate(st: &crate::model::ClusterState, job: &crate::model::Job) -> Option<super::plugin::Vote> {
    use super::plugin::Vote;
    if st.queues[job.queue.idx()].state != crate::model::QueueState::Open {
        return Some(Vote::Reject);
    }
    job.min_resources.is_empty().then_some(Vote::Permit)
}

/// Builds a plugin from its configuration entry; argument errors name the plugin and key.
pub fn build(opt: &PluginOption) -> Result<Box<dyn Plugin>, String> {
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
            Box::new(drf::Drf::default())
        }
        "overcommit" => Box::new(overcommit::Overcommit::new(args)?),
        "predicates" => Box::new(predicates::Predicates::new(args)?),
        "proportion" => {
            no_args("proportion")?;
            Box::new(proportion::Proportion::default())
        }
        "nodeorder" => Box::new(nodeorder::NodeOrder::new(args)?),
        "binpack" => Box::new(binpack::Binpack::new(args)?),
        "sla" => Box::new(sla::Sla::new(args)?),
        "capacity" => {
            no_args("capacity")?;
            Box::new(capacity::Capacity::default())
        }
        "tdm" => Box::new(tdm::Tdm::new(args)?),
        "cdp" => {
            no_args("cdp")?;
            Box::new(cdp::Cdp::default())
        }
        "rescheduling" => Box::new(rescheduling::Rescheduling::new(args)?),
        other => return Err(format!("plugin `{other}` is not implemented")),
    })
}
