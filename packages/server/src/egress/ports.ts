/** Ports of the egress gateway on its address in the sandbox network. */
export const GATEWAY_PORTS = {
  dns: 53,
  http: 80,
  tls: 443,
  /** The explicit proxy sandboxes are given in HTTP_PROXY and HTTPS_PROXY. */
  proxy: 3128,
} as const

/**
 * What never goes through the proxy: the sandbox's own loopback, where its
 * services (and application kinds' servers, such as Splunk's) listen; the
 * gateway refuses loopback addresses, rightly, as they would be its own.
 */
export const NO_PROXY = 'localhost,127.0.0.1,::1'

/** The proxy variables a sandbox behind the gateway gets, in both spellings tools read. */
export function proxyEnv(gatewayAddress: string): Record<string, string> {
  const url = `http://${gatewayAddress}:${GATEWAY_PORTS.proxy}`
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    NO_PROXY,
    no_proxy: NO_PROXY,
  }
}
