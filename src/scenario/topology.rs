//! `fleet.topology`: the scenario's HyperNode tree, from a regular shape, an explicit list, or a
//! topology file (the Alibaba Lingjun 2023 `topo.csv`), validated against the fleet's nodes.

use super::error::ScenarioError;
use super::schema::{At, RawTopology};
use crate::model::Pool;
use crate::model::topology::{HyperNodeSpec, Member, Topology, node_name, regular};
use std::path::Path;

/// The fleet's node names in node id order (as the cluster will name them).
pub fn fleet_node_names(pools: &[(Pool, u32)]) -> Vec<String> {
    pools.iter().flat_map(|(p, count)| (0..*count).map(move |i| node_name(&p.name, i, *count))).collect()
}

/// Builds the topology `raw` declares. `at` locates errors; `scenario` resolves a file path.
pub fn build(
    raw: &At<RawTopology>,
    pools: &[(Pool, u32)],
    scenario: &Path,
    err: &dyn Fn(&str) -> ScenarioError,
) -> Result<Topology, ScenarioError> {
    let t = &raw.value;
    let names = fleet_node_names(pools);
    let given = [t.tiers.is_some(), t.hypernodes.is_some(), t.file.is_some()].iter().filter(|x| **x).count();
    if given != 1 {
        return Err(err("fleet.topology: give exactly one of `tiers` (a regular shape), `hypernodes` or `file`"));
    }
    if t.per_pool.is_some() && t.tiers.is_none() {
        return Err(err("fleet.topology.per_pool: only applies to `tiers`"));
    }
    if t.format.is_some() && t.file.is_none() {
        return Err(err("fleet.topology.format: only applies to `file`"));
    }
    let specs = if let Some(tiers) = &t.tiers {
        if tiers.is_empty() {
            return Err(err("fleet.topology.tiers: is empty"));
        }
        let mut shape = Vec::new();
        for (i, tier) in tiers.iter().enumerate() {
            let name = &tier.name.value;
            let per = match (i, tier.nodes_per, tier.children_per) {
                (0, Some(n), None) | (1.., None, Some(n)) if n >= 1 => n,
                (0, ..) => {
                    return Err(err(&format!(
                        "fleet.topology.tiers[0] ({name}): tier 1 takes `nodes_per` (≥ 1) and no `children_per`"
                    )));
                }
                _ => {
                    return Err(err(&format!(
                        "fleet.topology.tiers[{i}] ({name}): tiers above 1 take `children_per` (≥ 1) and no `nodes_per`"
                    )));
                }
            };
            if shape.iter().any(|(n, _): &(String, u32)| n == name) {
                return Err(err(&format!("fleet.topology.tiers: tier name `{name}` used twice")));
            }
            shape.push((name.clone(), per));
        }
        if t.per_pool.unwrap_or(false) {
            let mut specs = Vec::new();
            let mut start = 0;
            for (p, count) in pools {
                let end = start + *count as usize;
                specs.extend(regular(&shape, start..end, &names, &format!("{}-", p.name)));
                start = end;
            }
            specs
        } else {
            regular(&shape, 0..names.len(), &names, "")
        }
    } else if let Some(list) = &t.hypernodes {
        list.iter()
            .map(|h| HyperNodeSpec {
                name: h.name.value.clone(),
                tier: h.tier,
                tier_name: h.tier_name.clone().unwrap_or_default(),
                members: h
                    .nodes
                    .iter()
                    .map(|n| Member::Node(n.clone()))
                    .chain(h.hypernodes.iter().map(|c| Member::HyperNode(c.clone())))
                    .collect(),
            })
            .collect()
    } else {
        let file = t.file.as_ref().expect("one source is given");
        match t.format.as_ref().map(|f| f.value.as_str()) {
            Some("lingjun") => {}
            Some(other) => return Err(err(&format!("fleet.topology.format: `{other}` is not supported (lingjun)"))),
            None => return Err(err("fleet.topology.format: required with `file` (lingjun)")),
        }
        let path = super::load::resolve(&file.value, scenario)
            .ok_or_else(|| err(&format!("fleet.topology.file: `{}` not found", file.value)))?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ScenarioError::Input(format!("{}: cannot read topology: {e}", path.display())))?;
        lingjun(&text, &names).map_err(|m| ScenarioError::Input(format!("{}: {m}", path.display())))?
    };
    Topology::build(&specs, &names).map_err(|m| err(&format!("fleet.topology: {m}")))
}

/// Reads the Lingjun 2023 `topo.csv` (`ip,DSW,PSW,ASW`: each host under a ToR switch (ASW), an
/// aggregation switch (PSW) and a core switch (DSW)) as three tiers: `asw` (tier 1, a ToR named
/// `PSW/ASW`, since ASW names repeat across PSWs), `psw` (tier 2), `dsw` (tier 3). Hosts, sorted
/// by (DSW, PSW, ASW, ip), are the fleet's nodes in node order; the counts must match.
pub fn lingjun(text: &str, nodes: &[String]) -> Result<Vec<HyperNodeSpec>, String> {
    let mut hosts: Vec<[String; 4]> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || (i == 0 && line.starts_with("ip,")) {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 4 || f.iter().any(|x| x.is_empty()) {
            return Err(format!("line {}: expected 4 fields `ip,DSW,PSW,ASW`, got `{line}`", i + 1));
        }
        hosts.push([f[1].into(), f[2].into(), f[3].into(), f[0].into()]);
    }
    hosts.sort();
    if hosts.windows(2).any(|w| w[0][3] == w[1][3]) {
        return Err("a host ip appears twice".into());
    }
    if hosts.len() != nodes.len() {
        return Err(format!(
            "{} hosts but the fleet has {} nodes; declare pools with {} nodes in total",
            hosts.len(),
            nodes.len(),
            hosts.len()
        ));
    }
    let mut specs: Vec<HyperNodeSpec> = Vec::new();
    let mut find = |name: String, tier: u32, tier_name: &str, member: Member| {
        if let Some(s) = specs.iter_mut().find(|s| s.name == name) {
            if !s.members.contains(&member) {
                s.members.push(member);
            }
        } else {
            specs.push(HyperNodeSpec { name, tier, tier_name: tier_name.into(), members: vec![member] });
        }
    };
    for (h, node) in hosts.iter().zip(nodes) {
        let [dsw, psw, asw, _] = h;
        let tor = format!("{psw}/{asw}");
        find(tor.clone(), 1, "asw", Member::Node(node.clone()));
        find(psw.clone(), 2, "psw", Member::HyperNode(tor));
        find(dsw.clone(), 3, "dsw", Member::HyperNode(psw.clone()));
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lingjun_hosts_become_tors_pods_and_a_core() {
        let text = "ip,DSW,PSW,ASW\nh3,G6,P10,S1\nh1,G6,P8,S1\nh2,G6,P8,S1\nh4,G6,P10,S2\n";
        let nodes: Vec<String> = (0..4).map(|i| format!("n{i}")).collect();
        let specs = lingjun(text, &nodes).unwrap();
        let t = Topology::build(&specs, &nodes).unwrap();
        let name = |n: u32| t.hypernodes[t.leaf_of(crate::model::NodeId(n)) as usize].name.clone();
        // Sorted by (DSW, PSW, ASW, ip): P10/S1 h3, P10/S2 h4, P8/S1 h1, P8/S1 h2.
        assert_eq!([name(0), name(1), name(2), name(3)], ["P10/S1", "P10/S2", "P8/S1", "P8/S1"]);
        assert_eq!(t.tier(t.lca(t.leaf_of(crate::model::NodeId(0)), t.leaf_of(crate::model::NodeId(1)))), 2);
        assert_eq!(t.tier(t.lca(t.leaf_of(crate::model::NodeId(0)), t.leaf_of(crate::model::NodeId(3)))), 3);
        assert_eq!(t.tier(t.root), 4);
        let e = lingjun(text, &nodes[..3]).unwrap_err();
        assert!(e.contains("4 hosts") && e.contains("3 nodes"), "{e}");
        assert!(lingjun("ip,DSW,PSW,ASW\nh1,G6,P8\n", &nodes).unwrap_err().contains("line 2"));
    }
}
