import type { ApplicationKind } from '@workspace-manager/protocol'
import { ApiError } from '../errors.js'
import type { KindLaunch, SandboxKinds } from '../services/sandbox-kinds.js'
import type { LoadedPlugin } from './loader.js'
import { waitForReadiness } from './readiness.js'
import type { ApplicationKindSpec } from './types.js'

/** The application kinds of the loaded plugins, by name. */
export class ApplicationKinds implements SandboxKinds {
  readonly #kinds = new Map<string, { plugin: string; spec: ApplicationKindSpec }>()

  constructor(plugins: readonly LoadedPlugin[]) {
    for (const { plugin } of plugins) {
      for (const spec of plugin.kinds) this.#kinds.set(spec.kind, { plugin: plugin.name, spec })
    }
  }

  /** Whether some plugin provides `kind`. */
  has(kind: string): boolean {
    return this.#kinds.has(kind)
  }

  /** Every kind, by name. */
  list(): ApplicationKind[] {
    return [...this.#kinds.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([kind, { plugin, spec }]) => ({ kind, plugin, template: spec.template ?? null }))
  }

  launch(kind: string, source: 'request' | 'default'): KindLaunch {
    const entry = this.#kinds.get(kind)
    if (!entry) {
      const known = [...this.#kinds.keys()].sort().join(', ') || 'none: no plugin is loaded'
      const what =
        source === 'default'
          ? `WORKSPACE_APPLICATION_KIND names the application kind "${kind}"`
          : `application_kind "${kind}" is unknown`
      throw new ApiError(
        'VALIDATION',
        `${what}, which no loaded plugin provides (known: ${known})`,
        {
          application_kind: kind,
        },
      )
    }
    const { spec } = entry
    const readiness = spec.readiness
    return {
      template: spec.template ?? null,
      env: kindEnv(spec),
      toolsVolume: spec.toolsVolume ?? false,
      runImageCommand: spec.runImageCommand ?? false,
      ready: readiness ? (agent) => waitForReadiness(agent, kind, readiness) : null,
    }
  }
}

function kindEnv(spec: ApplicationKindSpec): Record<string, string> {
  if (typeof spec.env !== 'function') return { ...spec.env }
  try {
    return spec.env()
  } catch (error) {
    throw new ApiError(
      'VALIDATION',
      `application kind ${spec.kind} cannot be used: ${(error as Error).message}`,
      { application_kind: spec.kind },
    )
  }
}
