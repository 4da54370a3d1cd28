import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A loopback address of its own, so the origins' ports 80 and 443 clash with nobody's. */
export const ORIGIN_ADDRESS = `127.77.${Math.floor(Math.random() * 200) + 20}.${Math.floor(Math.random() * 200) + 20}`

/** Origin servers standing in for the internet, and the files that name them. */
export interface Origins {
  /** PEM of the CA that signed the HTTPS origin's certificate. */
  caPem: string
  /** Port of a plain HTTP origin on a port of its own (for `name:port` rules). */
  extraPort: number
  /** A hosts file naming every test host at ORIGIN_ADDRESS. */
  hostsFile: string
  close(): Promise<void>
}

/** Answers `<which> <host header> <path>`, then ` auth=<Authorization>` when the request has one. */
function handler(which: string) {
  return (request: http.IncomingMessage, response: http.ServerResponse) => {
    const auth = request.headers.authorization
    response.end(`${which} ${request.headers.host} ${request.url}${auth ? ` auth=${auth}` : ''}`)
  }
}

/** A CA and a certificate for `names` signed by it, made with openssl in `dir`. */
async function certificates(dir: string, names: string[]) {
  const file = (name: string) => path.join(dir, name)
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=wm test ca',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  ])
  await run('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${names[0]}`,
    '-keyout',
    file('site.key'),
    '-out',
    file('site.csr'),
  ])
  await fs.writeFile(
    file('ext'),
    `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}\n`,
  )
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    file('site.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('ext'),
    '-out',
    file('site.pem'),
  ])
  return {
    ca: await fs.readFile(file('ca.pem'), 'utf8'),
    key: await fs.readFile(file('site.key')),
    cert: await fs.readFile(file('site.pem')),
  }
}

/** Starts HTTP (80, and a port of its own) and HTTPS (443) origins on ORIGIN_ADDRESS for `names`. */
export async function startOrigins(names: string[]): Promise<Origins> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wm-egress-'))
  const { ca, key, cert } = await certificates(dir, names)
  const plain = http.createServer(handler('http'))
  const extra = http.createServer(handler('extra'))
  const secure = https.createServer({ key, cert }, handler('https'))
  plain.listen(80, ORIGIN_ADDRESS)
  extra.listen(0, ORIGIN_ADDRESS)
  secure.listen(443, ORIGIN_ADDRESS)
  await Promise.all([once(plain, 'listening'), once(extra, 'listening'), once(secure, 'listening')])
  const hostsFile = path.join(dir, 'hosts')
  await fs.writeFile(hostsFile, `# test origins\n${ORIGIN_ADDRESS} ${names.join(' ')}\n`)
  return {
    caPem: ca,
    extraPort: (extra.address() as { port: number }).port,
    hostsFile,
    close: async () => {
      for (const server of [plain, extra, secure]) {
        server.closeAllConnections()
        server.close()
      }
      await fs.rm(dir, { recursive: true, force: true })
    },
  }
}
