import {
  type KubeConfig,
  ServerConfiguration,
  createConfiguration,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node'

/** How long one API request may take: every call the runtime makes is a quick one. */
export const REQUEST_TIMEOUT_MS = 30_000

/**
 * An API client of `kc` whose every request is abandoned after `timeoutMs`:
 * an API server that accepts connections and never answers must not hold a
 * sandbox's turn forever (the abort is `unavailable`, like no answer).
 */
export function makeClient<T>(
  kc: KubeConfig,
  Api: new (configuration: ReturnType<typeof createConfiguration>) => T,
  timeoutMs: number,
): T {
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new Error('the kubeconfig has no current cluster')
  return new Api(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      promiseMiddleware: [
        {
          pre: async (context: RequestContext) => {
            context.setSignal(AbortSignal.timeout(timeoutMs))
            return context
          },
          post: async (response: ResponseContext) => response,
        },
      ],
    }),
  )
}
