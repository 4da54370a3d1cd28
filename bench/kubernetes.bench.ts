/**
 * The Kubernetes runtime beside the Docker one (see bench/kubernetes.ts):
 * create -> running and exec of `echo hi`, two apps timed alternately,
 * printed in the table format of `npm run bench`.
 * Needs the test cluster up (scripts/k8s/up.sh, which loads the images) and
 * must run inside the node's network namespace, where pod IPs are reachable:
 *   BENCH_RUNS=50 bash scripts/k8s/in-node.sh npm run bench:k8s
 * Also needs the Docker engine, the agent binary and workspace-test:latest.
 * BENCH_RUNS overrides the number of timed runs (default 10 creates and 200
 * execs per runtime); WM_KUBECONFIG the cluster (default the test cluster's
 * /var/lib/wm-k8s/admin.kubeconfig); WM_K8S_AGENT_IMAGE the agent image
 * (default wm-agent:latest). A fresh namespace is made and deleted.
 */
import { kubernetesRows } from './kubernetes.js'
import { BenchTable } from './table.js'

const runs = process.env.BENCH_RUNS
const table = new BenchTable()
await table.run('Kubernetes runtime beside Docker', () =>
  kubernetesRows({
    createRuns: Number(runs ?? 10),
    execRuns: Number(runs ?? 200),
    execWarmup: 20,
    template: 'workspace-test:latest',
    kubeconfig:
      process.env.WM_KUBECONFIG ??
      `${process.env.WM_K8S_DIR ?? '/var/lib/wm-k8s'}/admin.kubeconfig`,
    agentImage: process.env.WM_K8S_AGENT_IMAGE ?? 'wm-agent:latest',
    table,
  }),
)
table.print('Kubernetes runtime (ours) beside the Docker runtime (baseline), npm run bench:k8s')
process.exitCode = table.failures > 0 ? 1 : 0
