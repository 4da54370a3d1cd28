import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { SecretsBody, SecretsStatus } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import { AllowEntryError, parseAllowEntry } from '../egress/policy.js'
import { proxyEnv } from '../egress/ports.js'
import type { CertificateAuthority } from '../egress/certificates.js'
import type { SandboxRecord, SandboxSecret, SandboxSecrets } from '../store/index.js'

/**
 * Where a sandbox with secrets finds the CA of its egress gateway: in its run
 * directory (/run/wm, bound from the host), written before its container
 * starts, so the variables below never name a missing file.
 */
export const TRUST_FILES = {
  /** The sandbox's CA alone (for NODE_EXTRA_CA_CERTS, which adds to Node's own roots). */
  ca: { host: 'egress-ca.pem', sandbox: '/run/wm/egress-ca.pem' },
  /** The host's CA bundle followed by the sandbox's CA (for tools that take one bundle). */
  bundle: { host: 'ca-bundle.pem', sandbox: '/run/wm/ca-bundle.pem' },
} as const

/** The host's CA bundle (Debian's path), the public roots a bundle starts from. */
const HOST_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'

/** The variables that make the usual tools trust the sandbox's CA besides the public roots. */
export function trustEnv(): Record<string, string> {
  const bundle = TRUST_FILES.bundle.sandbox
  return {
    SSL_CERT_FILE: bundle,
    REQUESTS_CA_BUNDLE: bundle,
    CURL_CA_BUNDLE: bundle,
    GIT_SSL_CAINFO: bundle,
    PIP_CERT: bundle,
    NODE_EXTRA_CA_CERTS: TRUST_FILES.ca.sandbox,
  }
}

/** Names a secret may not take: the server sets them, and the sandbox needs them as set. */
const RESERVED = new Set([...Object.keys(proxyEnv('0.0.0.0')), ...Object.keys(trustEnv())])

/** Characters a header value cannot carry (tab aside): a value with them could split a request. */
function hasControl(value: string): boolean {
  for (let at = 0; at < value.length; at += 1) {
    const code = value.charCodeAt(at)
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true
  }
  return false
}

function invalid(message: string, name: string): never {
  // The value is never named in an error: replies and logs must not carry it.
  throw new ApiError('VALIDATION', message, { secret: name })
}

/**
 * The secrets of a create request, checked, each with a fresh placeholder
 * (null when none): 400 code 1001 for a name the environment already has or
 * the server reserves, a value with control characters, a host that is no
 * host name, or secrets where no gateway can fill them in.
 */
export function checkedSecrets(
  body: SecretsBody | null | undefined,
  env: Record<string, string> | null | undefined,
  gateway: boolean,
): SandboxSecret[] | null {
  const entries = Object.entries(body ?? {})
  if (!entries.length) return null
  if (!gateway) {
    throw new ApiError(
      'VALIDATION',
      'secrets need the egress gateway, which this server runs only for Docker sandboxes with a network (not on Kubernetes or gVisor without a network)',
      { secrets: entries.map(([name]) => name) },
    )
  }
  return entries.map(([name, spec]) => {
    if (env && name in env) invalid(`secret ${name} is also in env: give it once`, name)
    if (RESERVED.has(name) || name.startsWith('WM_')) {
      invalid(`secret name ${name} is reserved: the server sets it in every sandbox`, name)
    }
    if (hasControl(spec.value)) {
      invalid(`the value of secret ${name} has control characters (it is sent in headers)`, name)
    }
    const hosts = spec.hosts.map((host) => checkedHost(name, host))
    return { name, value: spec.value, hosts, placeholder: placeholder() }
  })
}

function checkedHost(name: string, host: string): string {
  let rule
  try {
    rule = parseAllowEntry(host)
  } catch (error) {
    if (!(error instanceof AllowEntryError)) throw error
    invalid(`secret ${name}: host "${host}" is no host name (api.example.com, *.example.com)`, name)
  }
  if (rule.kind !== 'host' || rule.port !== null) {
    invalid(
      `secret ${name}: host "${host}" must be a host name without a port (api.example.com, *.example.com): secrets are filled in by name`,
      name,
    )
  }
  return (rule.wildcard ? '*.' : '') + rule.name
}

/** A value that says what it is, and that nothing else contains by chance (128 random bits). */
function placeholder(): string {
  return `wm-secret-${randomBytes(16).toString('hex')}`
}

/** The sandbox's environment with each secret's placeholder under its name. */
export function withPlaceholders(
  env: Record<string, string> | null,
  secrets: readonly SandboxSecret[] | null,
): Record<string, string> | null {
  if (!secrets?.length) return env
  return {
    ...env,
    ...Object.fromEntries(secrets.map((secret) => [secret.name, secret.placeholder])),
  }
}

/** The secrets part of a row, from checked secrets and the sandbox's new CA. */
export function sandboxSecrets(
  secrets: SandboxSecret[] | null,
  ca: CertificateAuthority | undefined,
): SandboxSecrets | null {
  if (!secrets) return null
  if (!ca) throw new Error('a sandbox with secrets needs its CA')
  return { ca, secrets }
}

/** `secrets` of a sandbox reply: each name with its hosts, never a value or placeholder. */
export function secretsStatus(record: SandboxRecord): SecretsStatus {
  const secrets = record.egressSecrets?.secrets ?? []
  return Object.fromEntries(secrets.map((secret) => [secret.name, { hosts: [...secret.hosts] }]))
}

/**
 * Writes the sandbox's trust files into its run directory (host side) before
 * its container starts: its CA, and a bundle of the host's public roots and
 * that CA. Nothing is written for a sandbox without secrets.
 */
export async function writeTrustFiles(record: SandboxRecord, runDir: string): Promise<void> {
  const ca = record.egressSecrets?.ca.cert
  if (!ca) return
  const roots = await fs.readFile(HOST_BUNDLE, 'utf8').catch(() => '')
  await fs.writeFile(path.join(runDir, TRUST_FILES.ca.host), ca, { mode: 0o644 })
  await fs.writeFile(
    path.join(runDir, TRUST_FILES.bundle.host),
    `${roots}${roots.endsWith('\n') || !roots ? '' : '\n'}${ca}`,
    { mode: 0o644 },
  )
}
