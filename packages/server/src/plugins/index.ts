/**
 * Application-kind plugins: loading (WM_PLUGINS_*), the kinds they provide
 * and their helper routes. The public API is in `types.ts`.
 */
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config/index.js'
import type { ProcessService } from '../services/processes.js'
import type { SandboxService } from '../services/sandboxes.js'
import { loadPlugins, type LoadedPlugin } from './loader.js'
import { ApplicationKinds } from './registry.js'
import { splunkPlugin } from './splunk/index.js'
import type { PluginContext } from './types.js'

export { ApplicationKinds } from './registry.js'
export {
  loadPlugins,
  defaultSearchPaths,
  type LoadedPlugin,
  type LoadPluginsOptions,
} from './loader.js'
export {
  definePlugin,
  type ApplicationKindSpec,
  type PluginContext,
  type ReadinessCheck,
  type WorkspaceManagerPlugin,
} from './types.js'

/** The loaded plugins and their kinds. */
export interface Plugins {
  loaded: LoadedPlugin[]
  kinds: ApplicationKinds
}

/**
 * Loads the plugins the configuration asks for (the built-in Splunk plugin
 * among them) and checks WORKSPACE_APPLICATION_KIND names one of their
 * kinds: when it does not, start-up fails with WM_PLUGINS_FAIL_FAST and
 * warns otherwise (creates that rely on the default are then refused).
 */
export async function setUpPlugins(
  app: FastifyInstance,
  config: Config,
  searchPaths?: readonly string[],
): Promise<Plugins> {
  const loaded = await loadPlugins({
    config: config.plugins,
    builtins: [splunkPlugin(config.splunk)],
    log: app.log,
    ...(searchPaths ? { searchPaths } : {}),
  })
  const kinds = new ApplicationKinds(loaded)
  const fallback = config.sandboxDefaults.applicationKind
  if (fallback !== null && !kinds.has(fallback)) {
    const message = `WORKSPACE_APPLICATION_KIND=${fallback} names a kind no loaded plugin provides`
    if (config.plugins.failFast) throw new Error(message)
    app.log.warn(`${message}: creates that name no application_kind will be refused`)
  }
  return { loaded, kinds }
}

/** Registers every plugin's helper routes, each in its own context under `/v1`. */
export async function registerPluginRoutes(
  app: FastifyInstance,
  plugins: Plugins,
  services: { sandboxes: SandboxService; processes: ProcessService },
): Promise<void> {
  for (const { plugin } of plugins.loaded) {
    const routes = plugin.routes
    if (!routes) continue
    const context: PluginContext = {
      log: app.log.child({ plugin: plugin.name }),
      getSandbox: (id) => services.sandboxes.get(id),
      run: (sandboxId, command) => services.processes.run(sandboxId, command),
    }
    await app.register(async (child) => routes.call(plugin, child, context), { prefix: '/v1' })
  }
}
