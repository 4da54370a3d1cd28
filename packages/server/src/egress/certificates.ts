// The polyfill @peculiar/x509's dependency injection needs, before that module loads.
import 'reflect-metadata'
import { webcrypto, randomBytes } from 'node:crypto'
import tls from 'node:tls'
import * as x509 from '@peculiar/x509'

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const DAY_MS = 86_400_000
/** A sandbox's CA lasts longer than any sandbox is expected to. */
const CA_DAYS = 3650
/** Certificates for hosts are short-lived and made again well before they expire. */
const LEAF_DAYS = 7
const LEAF_REUSE_MS = DAY_MS
/** Certificates kept; past it the oldest is forgotten (and made again when asked). */
const LEAVES_KEPT = 1024
/** Clocks inside sandboxes and on the host may differ a little. */
const CLOCK_SKEW_MS = 3_600_000

/** A CA as a sandbox's row keeps it: PEM certificate and PKCS#8 PEM private key. */
export interface CertificateAuthority {
  cert: string
  key: string
}

function serialNumber(): string {
  // Positive (high bit clear), random: certificates from one CA never share a serial.
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0] ?? 0) & 0x7f
  return bytes.toString('hex')
}

function pem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
  return `-----BEGIN ${label}-----\n${body.replace(/\n$/, '')}\n-----END ${label}-----\n`
}

function der(text: string): Buffer {
  return Buffer.from(text.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64')
}

/**
 * A new CA for one sandbox: its certificate goes into the sandbox's trust
 * store, its key stays with the server (sealed in the store). Each sandbox
 * has its own, so what one sandbox trusts cannot vouch for anything shown
 * to another.
 */
export async function newSandboxCa(): Promise<CertificateAuthority> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])
  const now = Date.now()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: 'CN=Workspace Manager sandbox egress CA, O=Workspace Manager',
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter: new Date(now + CA_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  const key = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)
  return { cert: cert.toString('pem'), key: pem('PRIVATE KEY', key) }
}

interface Leaf {
  context: tls.SecureContext
  madeAt: number
}

/**
 * The certificates the egress gateway shows a sandbox for the hosts whose
 * TLS it terminates, each signed by that sandbox's CA. One key pair serves
 * every certificate (it never leaves the server); certificates are made on
 * first use and kept for a day.
 */
export class LeafCertificates {
  readonly #leaves = new Map<string, Promise<Leaf>>()
  readonly #keys: Promise<webcrypto.CryptoKeyPair>
  #keyPem: Promise<string> | undefined

  constructor() {
    this.#keys = webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])
  }

  /** A TLS context for `host` as the sandbox whose CA is `ca` should see it. */
  async contextFor(
    sandboxId: string,
    ca: CertificateAuthority,
    host: string,
  ): Promise<tls.SecureContext> {
    const key = `${sandboxId}\n${host}`
    const known = this.#leaves.get(key)
    if (known) {
      const leaf = await known.catch(() => undefined)
      if (leaf && Date.now() - leaf.madeAt < LEAF_REUSE_MS) return leaf.context
      this.#leaves.delete(key)
    }
    if (this.#leaves.size >= LEAVES_KEPT) {
      this.#leaves.delete(this.#leaves.keys().next().value as string)
    }
    const made = this.#make(ca, host)
    this.#leaves.set(key, made)
    made.catch(() => this.#leaves.delete(key))
    return (await made).context
  }

  /** Forgets the certificates made for a sandbox (it is gone). */
  forget(sandboxId: string): void {
    for (const key of this.#leaves.keys()) {
      if (key.startsWith(`${sandboxId}\n`)) this.#leaves.delete(key)
    }
  }

  async #make(ca: CertificateAuthority, host: string): Promise<Leaf> {
    const keys = await this.#keys
    const caCert = new x509.X509Certificate(ca.cert)
    const signingKey = await webcrypto.subtle.importKey('pkcs8', der(ca.key), ALGORITHM, false, [
      'sign',
    ])
    const now = Date.now()
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: `CN=${host.replace(/[,+="\\<>;#]/g, '')}`,
      issuer: caCert.subject,
      notBefore: new Date(now - CLOCK_SKEW_MS),
      notAfter: new Date(now + LEAF_DAYS * DAY_MS),
      publicKey: keys.publicKey,
      signingKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: host }]),
        await x509.AuthorityKeyIdentifierExtension.create(caCert),
      ],
    })
    this.#keyPem ??= webcrypto.subtle
      .exportKey('pkcs8', keys.privateKey)
      .then((exported) => pem('PRIVATE KEY', exported))
    const context = tls.createSecureContext({
      key: await this.#keyPem,
      // The chain the sandbox checks: the host's certificate, then its CA.
      cert: `${cert.toString('pem')}\n${ca.cert}`,
      minVersion: 'TLSv1.2',
    })
    return { context, madeAt: now }
  }
}
