/**
 * Which base URLs the SDK will talk to. Plain `http://` is allowed without an
 * explicit opt-in only for loopback hosts, where nothing crosses a network.
 */
import { isIPv4 } from 'node:net'

/** True for `localhost`, any `127.0.0.0/8` address and `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1')
  if (host === 'localhost' || host === '::1') return true
  return isIPv4(host) && host.startsWith('127.')
}

/** True when the URL would send requests (and the API key) unencrypted over a network. */
export function isInsecureRemoteUrl(url: URL): boolean {
  return url.protocol === 'http:' && !isLoopbackHost(url.hostname)
}
