//! `tephra k8s fleet|objects`: read Kubernetes inputs and show what tephra makes of them.

use crate::k8s::{nodes, objects};
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// The k8s subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum K8sCmd {
    /// Group `kubectl get nodes -o json` into pools and print them as a scenario `fleet:` section.
    Fleet {
        /// The node list (JSON).
        file: PathBuf,
    },
    /// List the templates, queues and PriorityClasses of a Volcano/Kubernetes YAML file.
    Objects {
        /// The objects (multi-document YAML).
        file: PathBuf,
    },
}

/// Runs a k8s subcommand.
pub fn run(cmd: K8sCmd) -> Result<ExitCode> {
    match cmd {
        K8sCmd::Fleet { file } => {
            let f = nodes::read(&file).map_err(anyhow::Error::msg)?;
            for w in &f.warnings {
                eprintln!("warning: {w}");
            }
            print!("{}", nodes::to_yaml(&f));
        }
        K8sCmd::Objects { file } => {
            let o = objects::read(&file, &BTreeMap::new(), &Default::default()).map_err(anyhow::Error::msg)?;
            for w in &o.warnings {
                eprintln!("warning: {w}");
            }
            for (name, v) in &o.priority_classes {
                println!("priorityclass {name}: {v}");
            }
            for q in &o.queues {
                println!("queue {}: weight {}, reclaimable {}", q.name, q.weight, q.reclaimable);
            }
            for t in o.templates.values() {
                let roles: Vec<String> =
                    t.roles.iter().map(|r| format!("{} {}/{} pods", r.name, r.min_available, r.replicas)).collect();
                println!(
                    "template @{} ({}): queue {}, priority {}, roles: {}",
                    t.name,
                    t.kind,
                    t.queue.as_deref().unwrap_or("default"),
                    t.priority,
                    roles.join(", ")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
