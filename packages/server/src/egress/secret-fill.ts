import type http from 'node:http'
import type { SandboxSecret, SandboxSecrets } from '../store/index.js'
import { allowsName, parseAllowEntry } from './policy.js'

/** The secrets of a sandbox that go to one host, and the CA its certificate is signed with. */
export interface HostSecrets {
  ca: SandboxSecrets['ca']
  secrets: SandboxSecret[]
}

/**
 * The secrets of `all` whose hosts name `host` (exact, or `*.example.com`
 * for its subdomains); undefined when none does, so the gateway leaves that
 * traffic as it is (TLS spliced, placeholders unchanged).
 */
export function secretsForHost(
  all: SandboxSecrets | null | undefined,
  host: string,
): HostSecrets | undefined {
  if (!all?.secrets.length) return undefined
  const secrets = all.secrets.filter((secret) =>
    allowsName(secret.hosts.map(parseAllowEntry), host, null),
  )
  return secrets.length ? { ca: all.ca, secrets } : undefined
}

/** `text` with every placeholder of `secrets` replaced by its value. */
export function fillText(text: string, secrets: readonly SandboxSecret[]): string {
  let filled = text
  for (const secret of secrets) {
    if (filled.includes(secret.placeholder)) {
      filled = filled.split(secret.placeholder).join(secret.value)
    }
  }
  return filled
}

/**
 * Request headers with the placeholders of `secrets` replaced in every value
 * (Authorization, X-Api-Key, cookies, whatever the client put them in).
 * Names are left alone: a placeholder is a value.
 */
export function fillHeaders(
  headers: http.IncomingHttpHeaders,
  secrets: readonly SandboxSecret[],
): http.IncomingHttpHeaders {
  const filled: http.IncomingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    filled[name] = Array.isArray(value)
      ? value.map((item) => fillText(item, secrets))
      : fillText(value, secrets)
  }
  return filled
}
