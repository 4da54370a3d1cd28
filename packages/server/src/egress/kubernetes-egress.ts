import type { V1NetworkPolicyEgressRule, V1NetworkPolicyPort } from '@kubernetes/client-node'
import { FORBIDDEN_RANGES, blockListOf, inList, parseCidr, type Cidr } from './addresses.js'
import { parseAllowList } from './policy.js'

const FORBIDDEN = FORBIDDEN_RANGES.map((text) => parseCidr(text) as Cidr)

/** The forbidden ranges strictly inside `range`, as `except` entries of its ipBlock. */
function carvedOut(range: Cidr): string[] {
  const inside = blockListOf([range])
  return FORBIDDEN.filter(
    (forbidden) =>
      forbidden.family === range.family &&
      forbidden.prefix > range.prefix &&
      inList(inside, forbidden.address),
  ).map((forbidden) => `${forbidden.address}/${forbidden.prefix}`)
}

function block(range: Cidr): { ipBlock: { cidr: string; except?: string[] } } {
  const except = carvedOut(range)
  return {
    ipBlock: { cidr: `${range.address}/${range.prefix}`, ...(except.length ? { except } : {}) },
  }
}

const anywhere = (family: 'ipv4' | 'ipv6'): Cidr =>
  family === 'ipv4'
    ? { family, address: '0.0.0.0', prefix: 0 }
    : { family, address: '::', prefix: 0 }

/** The cluster's resolver (kube-dns / CoreDNS), for sandboxes that resolve names. */
const CLUSTER_DNS: V1NetworkPolicyEgressRule = {
  to: [
    {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
      podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    },
  ],
  ports: [
    { protocol: 'UDP', port: 53 },
    { protocol: 'TCP', port: 53 },
  ],
}

/**
 * The egress rules of a sandbox pod's NetworkPolicy for its network mode.
 * Kubernetes has no egress gateway: `open` is everything but the private,
 * loopback, link-local and metadata ranges (and the cluster's DNS);
 * `allowlist` is one ipBlock per address or CIDR entry (host names are
 * refused at create: a NetworkPolicy cannot name hosts), forbidden ranges
 * carved out of any broader one; the legacy `bridge` is anything; `none`
 * and anything else nothing (an empty rule list denies all).
 */
export function kubernetesEgress(
  mode: string,
  allow: readonly string[],
): V1NetworkPolicyEgressRule[] {
  if (mode === 'bridge') return [{}]
  if (mode === 'open') {
    return [{ to: [block(anywhere('ipv4')), block(anywhere('ipv6'))] }, CLUSTER_DNS]
  }
  if (mode !== 'allowlist') return []
  return parseAllowList(allow).flatMap((rule) => {
    if (rule.kind !== 'cidr') return []
    const ports: V1NetworkPolicyPort[] | undefined =
      rule.port === null ? undefined : [{ protocol: 'TCP', port: rule.port }]
    return [{ to: [block(rule.range)], ...(ports ? { ports } : {}) }]
  })
}
