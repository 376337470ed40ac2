//! Kubernetes-native inputs: a fleet from `kubectl get nodes -o json`, Volcano Job / PodGroup /
//! Queue / PriorityClass objects as templates and queues, and both inside a scenario.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tephra::k8s::{nodes, objects};
use tephra::model::resources::GPU;

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/k8s").join(p)
}

#[test]
fn nodes_become_pools() {
    let f = nodes::read(&data("nodes.json")).unwrap();
    let pools: Vec<(&str, u32, i64, i64, i64, u32)> = f
        .pools
        .iter()
        .map(|(p, n)| {
            (p.name.as_str(), *n, p.allocatable.cpu, p.allocatable.memory >> 30, p.allocatable.scalars[GPU], p.max_pods)
        })
        .collect();
    assert_eq!(
        pools,
        [
            ("m7i-8xlarge", 1, 31_750, 127, 0, 58),
            ("p5-48xlarge-tainted", 1, 191_450, 2048, 8000, 110),
            ("p5-48xlarge", 1, 191_450, 2048, 8000, 110),
            ("p5-48xlarge-2", 1, 191_450, 2048, 8000, 110),
        ],
        "cpu-1 is cordoned; the tainted node is its own pool; gpu-a-0 alone has 32 EFA interfaces"
    );
    let efa = f.names.slot("vpc.amazonaws.com/efa").expect("an extended resource, read");
    assert_eq!((f.pools[2].0.allocatable.scalars[efa], f.pools[3].0.allocatable.scalars[efa]), (0, 32_000));
    assert_eq!(f.pools[2].0.accelerator_model.as_deref(), Some("H100-80G"));
    let cards = f.pools[2].0.cards.as_ref().expect("whole GPUs become cards");
    assert_eq!((cards.count, cards.model.as_str(), cards.memory_mib), (8, "H100-80G", 0));
    assert!(f.pools[0].0.cards.is_none(), "a CPU node has no cards");
    assert_eq!(f.pools[1].0.labels["tephra.io/taints"], "dedicated=prod:NoSchedule");
    assert_eq!(f.warnings.len(), 2, "{:?}", f.warnings);
    assert!(
        nodes::to_yaml(&f).contains(
            "- { name: p5-48xlarge-2, count: 1, cpu: 191450m, memory: 2048Gi, gpu: { model: H100-80G, count: 8 }, extended: [{ name: vpc.amazonaws.com/efa, count: 32, accelerator: false }]"
        )
    );
}

#[test]
fn volcano_objects_become_templates_and_queues() {
    let o = objects::read(&data("objects.yaml"), &BTreeMap::new(), &Default::default()).unwrap();
    assert_eq!(o.priority_classes["high"], 1000);
    let q: Vec<(&str, u32, bool)> = o.queues.iter().map(|q| (q.name.as_str(), q.weight, q.reclaimable)).collect();
    assert_eq!(q, [("research", 3, true), ("prod", 1, false)]);
    assert_eq!(o.queues[0].capability.scalars[GPU], 16_000);
    assert_eq!(o.queues[0].capability.cpu, tephra::model::resources::UNBOUNDED, "unlisted resources stay unbounded");
    assert_eq!((o.queues[1].guarantee.cpu, o.queues[1].guarantee.scalars[GPU]), (64_000, 8000));
    let ddp = &o.templates["pytorch-ddp"];
    assert_eq!((ddp.queue.as_deref(), ddp.priority), (Some("research"), 1000));
    let master = &ddp.roles[0];
    assert_eq!(
        (master.request.cpu, master.request.memory >> 20, master.request.scalars[GPU]),
        (8500, 65 << 10, 8000),
        "containers summed"
    );
    assert_eq!(master.accelerator_model.as_deref(), Some("H100-80G"));
    let mins: Vec<(u32, u32)> = ddp.roles.iter().map(|r| (r.min_available, r.replicas)).collect();
    assert_eq!(mins, [(1, 1), (2, 4)], "minAvailable 3 lowers the last task's gang minimum");
    let inf = &o.templates["inference"];
    assert_eq!((inf.roles[0].replicas, inf.roles[0].request.cpu, inf.roles[0].request.scalars[GPU]), (2, 8000, 1000));
    assert_eq!(o.warnings, ["tests/data/k8s/objects.yaml: document 6 (ConfigMap unrelated): v1 ConfigMap is not a template or queue; skipped".replace("tests/data/k8s/objects.yaml", &data("objects.yaml").display().to_string())]);
}

#[test]
fn bad_objects_are_errors() {
    let e = objects::parse("apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nmetadata: {name: j}\nspec:\n  priorityClassName: urgent\n  tasks: [{name: w, replicas: 1}]\n", "o.yaml", &BTreeMap::new(), &Default::default()).unwrap_err();
    assert_eq!(
        e,
        "o.yaml: document 1 (Job j): spec.tasks[0]: priorityClassName `urgent` is not a PriorityClass in this file or the scenario"
    );
    let e = objects::parse("apiVersion: batch.volcano.sh/v1alpha1\nkind: Job\nmetadata: {name: j}\nspec:\n  tasks: [{name: w, replicas: two}]\n", "o.yaml", &BTreeMap::new(), &Default::default()).unwrap_err();
    assert_eq!(e, "o.yaml: document 1 (Job j): spec.tasks[0]: replicas: `\"two\"` is not an integer");
    let e = nodes::parse(&serde_json::json!({"items": []}), "n.json").unwrap_err();
    assert_eq!(e, "n.json: the node list is empty");
}

#[test]
fn scenario_with_nodes_templates_and_template_rows() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model\n\
         a,0,100,,0,@pytorch-ddp,1,1,1,1Gi,0,\n\
         b,5,50,prod,7,@inference,1,1,1,1Gi,0,\n\
         c,6,50,research,0,worker,1,1,1,1Gi,1,\n",
    )
    .unwrap();
    let yaml = format!(
        "name: k\nfleet: {{ from_nodes: {} }}\nworkload: {{ trace: t.csv, templates: {} }}\n",
        data("nodes.json").display(),
        data("objects.yaml").display()
    );
    std::fs::write(dir.path().join("s.yaml"), yaml).unwrap();
    let sc = tephra::scenario::load(&dir.path().join("s.yaml")).unwrap();
    assert_eq!(sc.pools.len(), 4);
    assert_eq!(sc.queues.iter().map(|q| q.name.as_str()).collect::<Vec<_>>(), ["research", "prod"]);
    let jobs = sc.load_jobs().unwrap();
    assert_eq!(
        (jobs[0].queue.as_str(), jobs[0].priority, jobs[0].roles.len(), jobs[0].min_available()),
        ("research", 1000, 2, 3)
    );
    assert_eq!(
        (jobs[1].queue.as_str(), jobs[1].priority, jobs[1].roles[0].priority),
        ("prod", 7, 7),
        "the row's queue and priority win"
    );
    assert_eq!(jobs[2].roles[0].name, "worker");
    std::fs::write(
        dir.path().join("t.csv"),
        "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model\na,0,100,,0,@nope,1,1,1,1Gi,0,\n",
    )
    .unwrap();
    let sc = tephra::scenario::load(&dir.path().join("s.yaml")).unwrap();
    let e = sc.load_jobs().unwrap_err().to_string();
    assert!(
        e.ends_with(
            "t.csv:2: job `a` references template `nope`, which is not defined (defined: inference, pytorch-ddp)"
        ),
        "{e}"
    );
}

/// Extended resources in `status.allocatable` are bound to spare slots (known accelerator names as
/// accelerators), kept in the pools and printed back as `extended:` entries a scenario accepts.
#[test]
fn extended_resources_of_nodes_are_read_and_printed() {
    let node = |name: &str, extra: serde_json::Value| {
        let mut alloc = serde_json::json!({"cpu": "64", "memory": "256Gi", "pods": "110"});
        alloc.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::json!({"kind": "Node", "metadata": {"name": name, "labels": {"accelerator": "P800"}},
                           "status": {"allocatable": alloc}})
    };
    let list = serde_json::json!({"items": [
        node("x-0", serde_json::json!({"kunlunxin.com/xpu": "8", "rdma/hca": "1"})),
        node("x-1", serde_json::json!({"kunlunxin.com/xpu": "8", "rdma/hca": "1"})),
    ]});
    let f = nodes::parse(&list, "n.json").unwrap();
    assert_eq!(f.names.slot("kunlunxin.com/xpu"), Some(6), "an accelerator slot");
    assert_eq!(f.names.slot("rdma/hca"), Some(7), "an other-resource slot");
    assert_eq!(f.pools.len(), 1);
    let (p, n) = &f.pools[0];
    assert_eq!(
        (*n, p.allocatable.scalars[6], p.allocatable.scalars[7], p.allocatable.accelerators()),
        (2, 8000, 1000, 8000)
    );
    let yaml = nodes::to_yaml(&f);
    assert!(
        yaml.contains("extended: [{ name: kunlunxin.com/xpu, count: 8, accelerator: true, model: P800 }, { name: rdma/hca, count: 1, accelerator: false }]"),
        "{yaml}"
    );
    // The printed section loads as a scenario fleet with the same pool.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model\n",
    )
    .unwrap();
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, format!("name: n\n{yaml}workload: {{ trace: t.csv }}\n")).unwrap();
    let sc = tephra::scenario::load(&path).unwrap();
    assert_eq!(sc.pools[0].0.allocatable, p.allocatable);
    assert_eq!(sc.scalar_names, f.names);
    // The same nodes as `fleet.from_nodes`: a row asking for 8 P800 asks for 8 XPUs.
    std::fs::write(dir.path().join("nodes.json"), list.to_string()).unwrap();
    std::fs::write(dir.path().join("t.csv"), "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model\na,0,10,q,0,w,2,2,1,1Gi,8,P800\n").unwrap();
    std::fs::write(&path, "name: n\nfleet: { from_nodes: nodes.json }\nworkload: { trace: t.csv }\n").unwrap();
    let sc = tephra::scenario::load(&path).unwrap();
    let jobs = sc.load_jobs().unwrap();
    assert_eq!((jobs[0].roles[0].request.scalars[GPU], jobs[0].roles[0].request.scalars[6]), (0, 8000));
    let out = tephra::runner::run(&sc, &Default::default(), |_| {}).unwrap();
    assert_eq!(out.summary.jobs.completed, 1);
}

/// Device requests come per task from the containers' requests; `spec.networkTopology` with a
/// tier name resolves against the scenario's topology into the jobs' constraint.
#[test]
fn template_tasks_carry_their_own_device_requests_and_topology() {
    use tephra::model::devices::{DeviceRequest, ShareKind};
    let text = r"apiVersion: batch.volcano.sh/v1alpha1
kind: Job
metadata: {name: mixed}
spec:
  networkTopology: {mode: hard, highestTierName: spine}
  tasks:
  - name: ps
    replicas: 1
    template: {spec: {containers: [{name: c, resources: {requests: {cpu: 2, volcano.sh/gpu-memory: 4096}}}]}}
  - name: worker
    replicas: 2
    template: {spec: {containers: [{name: c, resources: {requests: {cpu: 8, nvidia.com/gpu: 2}}}]}}
  - name: vgpu
    replicas: 1
    template: {spec: {containers: [{name: c, resources: {requests: {volcano.sh/vgpu-number: 1, volcano.sh/vgpu-cores: 50, volcano.sh/vgpu-memory: 2048}}}]}}
";
    let o = objects::parse(text, "o.yaml", &BTreeMap::new(), &Default::default()).unwrap();
    let t = &o.templates["mixed"];
    assert_eq!(t.roles[0].device, DeviceRequest { kind: ShareKind::GpuMemory, cards: 1, milli: 0, memory_mib: 4096 });
    assert_eq!(
        t.roles[0].request.scalars[tephra::model::resources::scalar_slot("volcano.sh/gpu-memory").unwrap()],
        4_096_000
    );
    assert_eq!(t.roles[1].device, DeviceRequest::whole(2, ShareKind::Whole));
    assert_eq!(t.roles[2].device, DeviceRequest { kind: ShareKind::Vgpu, cards: 1, milli: 500, memory_mib: 2048 });
    let nt = t.network_topology.as_ref().unwrap();
    assert_eq!((nt.highest_tier, nt.highest_tier_name.as_deref()), (None, Some("spine")));
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("objects.yaml"), text).unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model,annotations\n\
        a,0,10,default,0,@mixed,1,1,0,0,0,,\n\
        b,0,10,default,0,@mixed,1,1,0,0,0,,volcano.sh/network-topology-mode=soft\n",
    )
    .unwrap();
    let scenario = |topo: &str| {
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, format!("name: n\nfleet:\n  pools:\n    - {{ name: g, count: 4, cpu: 64, memory: 256Gi, gpu: {{ model: H100, count: 8, memory: 80Gi }} }}\n  topology: {{ tiers: [{topo}] }}\nworkload: {{ trace: t.csv, templates: objects.yaml }}\n")).unwrap();
        tephra::scenario::load(&path)
    };
    let jobs = scenario("{ name: leaf, nodes_per: 2 }, { name: spine, children_per: 2 }").unwrap().load_jobs().unwrap();
    let ann = |j: usize, k: &str| jobs[j].annotations.get(k).cloned();
    assert_eq!(ann(0, "volcano.sh/network-topology-mode").as_deref(), Some("hard"));
    assert_eq!(ann(0, "volcano.sh/network-topology-highest-tier").as_deref(), Some("2"), "spine is tier 2");
    assert_eq!(ann(1, "volcano.sh/network-topology-mode").as_deref(), Some("soft"), "the row's own constraint wins");
    assert_eq!(ann(1, "volcano.sh/network-topology-highest-tier"), None);
    let e = scenario("{ name: leaf, nodes_per: 2 }, { name: pod, children_per: 2 }").unwrap_err().to_string();
    assert!(e.contains("template `mixed`: spec.networkTopology.highestTierName: no tier is named `spine`"), "{e}");
    let parts = text
        .replace("  - name: vgpu\n", "  - name: vgpu\n    partitionPolicy: {totalPartitions: 1, partitionSize: 1}\n");
    let o = objects::parse(&parts, "o.yaml", &BTreeMap::new(), &Default::default()).unwrap();
    assert_eq!(
        o.warnings,
        ["o.yaml: document 1 (Job mixed): spec.tasks[2]: partitionPolicy (sub-group gangs) is not simulated"]
    );
    let both = text.replace("highestTierName: spine", "highestTierName: spine, highestTierAllowed: 2");
    let e = objects::parse(&both, "o.yaml", &BTreeMap::new(), &Default::default()).unwrap_err();
    assert!(e.contains("must not specify 'highestTierAllowed' and 'highestTierName' together"), "{e}");
}

/// With per-card tracking on, whole-GPU pods fit the GPU nodes of a node list (they found no card
/// before node lists carried card specs): 2 GPUs on an 8-GPU node, running 1 → 101 s.
#[test]
fn node_list_gpus_take_whole_card_pods_when_cards_are_tracked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.csv"),
        "job_id,submit_s,duration_s,queue,priority,role,replicas,min_available,cpu,memory,gpu,gpu_model\na,0,100,q,0,w,1,1,1,8Gi,2,\n",
    )
    .unwrap();
    let yaml = format!(
        "name: k\nfleet: {{ from_nodes: {}, track_cards: true }}\nworkload: {{ trace: t.csv }}\nrun: {{ pod_startup: 0s }}\n",
        data("nodes.json").display()
    );
    std::fs::write(dir.path().join("s.yaml"), yaml).unwrap();
    let sc = tephra::scenario::load(&dir.path().join("s.yaml")).unwrap();
    let opts = tephra::runner::RunOptions { check_invariants: true, record_decisions: true };
    let out = tephra::runner::run(&sc, &opts, |_| {}).unwrap();
    assert_eq!((out.jobs[0].gang_ready_s, out.jobs[0].finish_s), (Some(1.0), Some(101.0)));
    let bind = out.decisions.iter().find(|d| d.kind == "bind").unwrap();
    assert!(bind.node.ends_with("[0,1]"), "the two lowest free cards: {}", bind.node);
}
