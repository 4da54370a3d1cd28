import fs from 'node:fs'
import tls from 'node:tls'

/**
 * The roots the gateway checks a host's certificate against when it
 * terminates a sandbox's TLS to fill in secrets: Node's public roots, plus
 * the certificates of `caFile` (WM_EGRESS_CA_FILE: an operator's own CA, or
 * a test's). A file that cannot be read or holds no certificate is an error:
 * the operator named it.
 */
export function upstreamRoots(caFile: string | null): string[] {
  const roots = [...tls.rootCertificates]
  if (caFile === null) return roots
  const text = fs.readFileSync(caFile, 'utf8')
  const extra = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)
  if (!extra?.length) throw new Error(`WM_EGRESS_CA_FILE ${caFile} holds no PEM certificate`)
  return [...roots, ...extra]
}
