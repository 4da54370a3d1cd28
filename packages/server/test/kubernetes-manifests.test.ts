import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseAllDocuments, parse } from 'yaml'
import { loadConfig } from '../src/config/index.js'
import { readKubernetes } from '../src/config/kubernetes.js'
import { sandboxLabels, sandboxPolicy, AGENT_PORT } from '../src/runtime/kubernetes/objects.js'
import type { SandboxSpec } from '../src/runtime/types.js'

/**
 * The security-relevant facts of deploy/kubernetes, read from the YAML as
 * committed (no cluster): what the server may do, where its secrets come
 * from, and who may reach a sandbox.
 */

const BASE = fileURLToPath(new URL('../../../deploy/kubernetes/', import.meta.url))

interface Manifest {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  // Each kind has its own shape; the assertions say what they expect of it.
  [field: string]: any
}

/** Every object the base's kustomization.yaml lists, in order. */
function loadBase(): Manifest[] {
  const kustomization = parse(readFileSync(path.join(BASE, 'kustomization.yaml'), 'utf8'))
  assert.equal(kustomization.namespace, undefined, 'namespaces are set on each object')
  return (kustomization.resources as string[]).flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(BASE, file), 'utf8')).map((doc) => {
      assert.deepEqual(doc.errors, [], file)
      return doc.toJS() as Manifest
    }),
  )
}

const manifests = loadBase()

function one(kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (!name || m.metadata.name === name))
  assert.equal(found.length, 1, `exactly one ${kind} ${name ?? ''}`)
  return found[0]!
}

const all = (kind: string) => manifests.filter((m) => m.kind === kind)
const deployment = one('Deployment')
const podSpec = deployment.spec.template.spec
const server = podSpec.containers.find((c: { name: string }) => c.name === 'server')
const configMap = one('ConfigMap')
const settings = configMap.data as Record<string, string>
const serverLabels = deployment.spec.template.metadata.labels as Record<string, string>

test('every rule names its verbs and resources: no wildcard anywhere', () => {
  const rules = [...all('Role'), ...all('ClusterRole')].flatMap((role) =>
    (role.rules as Array<Record<string, string[]>>).map((rule) => ({ role, rule })),
  )
  assert.ok(rules.length > 0)
  for (const { role, rule } of rules) {
    for (const field of ['verbs', 'resources', 'apiGroups'] as const) {
      assert.ok(rule[field]?.length, `${role.metadata.name}: ${field} listed`)
      assert.ok(!rule[field]!.includes('*'), `${role.metadata.name}: no * in ${field}`)
    }
    assert.equal(rule.nonResourceURLs, undefined)
    assert.equal(rule.resourceNames, undefined)
    for (const verb of ['escalate', 'bind', 'impersonate'])
      assert.ok(!rule.verbs!.includes(verb), `${role.metadata.name}: no ${verb}`)
  }
})

test('RBAC is namespaced in the sandbox namespace, but for one read-only ClusterRole on nodes and RuntimeClasses', () => {
  const namespace = settings.WM_K8S_NAMESPACE
  const roles = all('Role')
  assert.equal(roles.length, 1)
  assert.equal(roles[0]!.metadata.namespace, namespace)
  const grants = new Map<string, string[]>()
  for (const rule of roles[0]!.rules as Array<Record<string, string[]>>) {
    for (const resource of rule.resources!) grants.set(resource, rule.verbs!)
  }
  // What the runtime calls (packages/server/src/runtime/kubernetes/), and only that.
  assert.deepEqual(Object.fromEntries(grants), {
    secrets: ['create', 'get', 'list', 'delete'],
    pods: ['create', 'get', 'list', 'watch', 'delete'],
    'pods/exec': ['create', 'get'],
    'pods/portforward': ['create', 'get'],
    persistentvolumeclaims: ['create'],
    networkpolicies: ['create', 'delete'],
  })

  const clusterRoles = all('ClusterRole')
  assert.equal(clusterRoles.length, 1)
  for (const rule of clusterRoles[0]!.rules as Array<Record<string, string[]>>) {
    assert.ok(
      rule.verbs!.every((verb) => ['get', 'list', 'watch'].includes(verb)),
      `read-only: ${rule.verbs}`,
    )
    for (const resource of rule.resources!)
      assert.ok(['nodes', 'runtimeclasses'].includes(resource))
  }

  const account = one('ServiceAccount')
  for (const binding of [...all('RoleBinding'), ...all('ClusterRoleBinding')]) {
    assert.deepEqual(binding.subjects, [
      {
        kind: 'ServiceAccount',
        name: account.metadata.name,
        namespace: account.metadata.namespace,
      },
    ])
  }
  assert.equal(one('RoleBinding').metadata.namespace, namespace)
  assert.equal(one('RoleBinding').roleRef.name, roles[0]!.metadata.name)
  assert.equal(one('ClusterRoleBinding').roleRef.name, clusterRoles[0]!.metadata.name)
  assert.equal(podSpec.serviceAccountName, account.metadata.name)
})

test('the Deployment runs two replicas with WM_DATABASE_URL from a Secret and the replica id from the pod name', () => {
  assert.equal(deployment.spec.replicas, 2)
  const env = new Map<string, any>(server.env.map((entry: { name: string }) => [entry.name, entry]))
  const secretRef = (name: string) => env.get(name)?.valueFrom?.secretKeyRef
  assert.ok(secretRef('WM_DATABASE_URL')?.name, 'WM_DATABASE_URL comes from a Secret')
  assert.equal(secretRef('WM_DATABASE_URL').key, 'WM_DATABASE_URL')
  assert.ok(secretRef('WORKSPACE_UPLOAD_TOKEN_SECRET')?.name)
  assert.equal(env.get('WM_REPLICA_ID').valueFrom.fieldRef.fieldPath, 'metadata.name')
  // No secret value sits in the ConfigMap or inline in the pod template.
  for (const name of ['WM_DATABASE_URL', 'WORKSPACE_UPLOAD_TOKEN_SECRET', 'WORKSPACE_API_KEYS']) {
    assert.equal(settings[name], undefined, `${name} not in the ConfigMap`)
    assert.equal(env.get(name)?.value, undefined, `${name} not inline`)
  }
  assert.deepEqual(server.envFrom, [{ configMapRef: { name: configMap.metadata.name } }])
})

test('probes: readiness on /ready, liveness on /health, at the container port the Service targets', () => {
  assert.equal(server.readinessProbe.httpGet.path, '/ready')
  assert.equal(server.livenessProbe.httpGet.path, '/health')
  const http = server.ports.find((port: { name: string }) => port.name === 'http')
  assert.equal(http.containerPort, Number(settings.WM_PORT))
  assert.equal(settings.WM_HOST, '0.0.0.0')
  const service = one('Service')
  assert.equal(service.spec.type, 'ClusterIP')
  assert.deepEqual(service.spec.ports, [
    { name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' },
  ])
  for (const selector of [
    service.spec.selector,
    deployment.spec.selector.matchLabels,
    one('PodDisruptionBudget').spec.selector.matchLabels,
  ]) {
    assert.deepEqual(selector, serverLabels)
  }
  assert.equal(one('PodDisruptionBudget').spec.minAvailable, 1)
})

test('the server container is unprivileged but for three file capabilities', () => {
  const context = server.securityContext
  assert.equal(context.privileged, false)
  assert.equal(context.allowPrivilegeEscalation, false)
  assert.equal(context.readOnlyRootFilesystem, true)
  assert.deepEqual(context.capabilities, {
    drop: ['ALL'],
    add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER'],
  })
  assert.equal(podSpec.hostNetwork, undefined)
  assert.equal(podSpec.hostPID, undefined)
  assert.equal(podSpec.securityContext.seccompProfile.type, 'RuntimeDefault')
})

test('the ConfigMap is a valid server configuration for the Kubernetes runtime, with the data dir on the shared ReadWriteMany claim', () => {
  const config = loadConfig({ ...settings, WM_DATABASE_URL: 'postgres://wm@db:5432/wm' })
  assert.equal(config.sandboxDefaults.runtime, 'kubernetes')
  assert.equal(config.kubernetes.namespace, 'workspace-manager')
  assert.equal(config.dataDir, settings.WM_DATA_DIR)

  const mount = server.volumeMounts.find(
    (m: { mountPath: string }) => m.mountPath === settings.WM_DATA_DIR,
  )
  const volume = podSpec.volumes.find((v: { name: string }) => v.name === mount.name)
  const claim = one('PersistentVolumeClaim', volume.persistentVolumeClaim.claimName)
  assert.deepEqual(claim.spec.accessModes, ['ReadWriteMany'])
  // hostPath mode: a sandbox mounts <WM_DATA_DIR>/workspaces/<id> of its node, so the claim's
  // volume must be that directory there.
  assert.equal(config.kubernetes.workspaceVolume, 'hostPath')
  const volumeOfClaim = one('PersistentVolume', claim.spec.volumeName)
  assert.equal(volumeOfClaim.spec.hostPath.path, settings.WM_DATA_DIR)
})

test("sandbox NetworkPolicies admit the server's pods alone, to the agent's port, and deny egress by default", () => {
  const namespace = settings.WM_K8S_NAMESPACE
  const policies = all('NetworkPolicy').filter((p) => p.spec.podSelector.matchLabels['wm.managed'])
  const spec = {
    sandboxId: 'sb_1',
    workspaceId: 'ws_1',
    networkMode: 'bridge',
  } as unknown as SandboxSpec
  const podLabels = sandboxLabels(spec, 'instance')
  for (const policy of policies) {
    assert.equal(policy.metadata.namespace, namespace)
    // They select every sandbox pod the runtime makes.
    for (const [key, value] of Object.entries(policy.spec.podSelector.matchLabels))
      assert.equal(podLabels[key], value)
  }

  const ingress = policies.filter((p) => p.spec.policyTypes.includes('Ingress'))
  assert.equal(ingress.length, 1)
  assert.deepEqual(ingress[0]!.spec.ingress, [
    {
      from: [{ podSelector: { matchLabels: serverLabels } }],
      ports: [{ protocol: 'TCP', port: AGENT_PORT }],
    },
  ])
  const egress = policies.filter((p) => p.spec.policyTypes.includes('Egress'))
  assert.equal(egress.length, 1)
  assert.deepEqual(egress[0]!.spec.egress, [])

  // Policies add up: the runtime's own per-sandbox policy, made with these settings, must
  // admit the server's pods alone, by the same labels, and no address range.
  const settingsOf = {
    config: readKubernetes(settings),
    instanceId: 'instance',
    agentImage: settings.WM_K8S_AGENT_IMAGE!,
    nfs: { host: 'host', port: 12049 },
  }
  const own = sandboxPolicy(spec, settingsOf)
  assert.deepEqual(
    own.spec!.ingress!.map((rule) => rule._from),
    [[{ podSelector: { matchLabels: serverLabels } }]],
  )
})

test("the server's pods may reach agents on 7070 and serve 8080, nothing wider", () => {
  const policy = all('NetworkPolicy').find(
    (p) => p.spec.podSelector.matchLabels['app.kubernetes.io/component'] === 'server',
  )!
  assert.deepEqual(policy.spec.podSelector.matchLabels, serverLabels)
  assert.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress'])
  assert.deepEqual(policy.spec.ingress, [{ ports: [{ protocol: 'TCP', port: 8080 }] }])
  const agents = policy.spec.egress.find((rule: { to?: unknown }) => rule.to)
  assert.deepEqual(agents, {
    to: [{ podSelector: { matchLabels: { 'wm.managed': '1' } } }],
    ports: [{ protocol: 'TCP', port: AGENT_PORT }],
  })
  // Every other egress rule is limited to ports.
  for (const rule of policy.spec.egress) assert.ok(rule.ports?.length, JSON.stringify(rule))
})
