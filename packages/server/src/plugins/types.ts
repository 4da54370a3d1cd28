/**
 * The plugin API: what an application-kind plugin module default-exports.
 * See docs/plugins.md.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { CommandResult, RunProcessBody, Sandbox } from '@workspace-manager/protocol'

/**
 * A command run inside every new sandbox of a kind until it exits 0, which
 * makes the sandbox `running`. It runs through the agent, so it works with
 * network `none`, and inherits the sandbox's environment.
 */
export interface ReadinessCheck {
  /** Program to run (looked up in the sandbox's PATH). */
  cmd: string
  /** Its arguments. */
  args?: string[]
  /**
   * Seconds the sandbox has to pass the check (default 60); past them the
   * create fails, its container is removed, and the error says why.
   */
  timeoutSeconds?: number
}

/** An application kind: what sandboxes created with `application_kind: kind` get. */
export interface ApplicationKindSpec {
  /** The kind's name, unique across plugins: letters, digits, `.`, `_` and `-`. */
  kind: string
  /** Template used when the create request names none. */
  template?: string
  /**
   * Environment put under the create request's own `env` (the request wins).
   * A function is called at every start; throwing an Error refuses the create
   * with `400` code `1001` and the error's message, so say what is missing
   * and never include a secret. The values are never stored in the sandbox's
   * row nor shown in its `env`.
   */
  env?: Record<string, string> | (() => Record<string, string>)
  /** Mount the named volume WORKSPACE_TOOLS_VOLUME read-only at /opt/tools (created when missing). */
  toolsVolume?: boolean
  /**
   * Have the agent also run the template's own command (its entrypoint and
   * cmd) as the process tagged `main`, e.g. the service the kind is about.
   */
  runImageCommand?: boolean
  /** Check that must pass before the sandbox counts as running. */
  readiness?: ReadinessCheck
}

/** What a plugin's `routes` can use. */
export interface PluginContext {
  /** The server's logger, bound to the plugin's name. */
  readonly log: FastifyBaseLogger
  /** The sandbox `id`; rejects with `404` code `2001` when there is none. */
  getSandbox(id: string): Promise<Sandbox>
  /**
   * Runs a command to completion inside the running sandbox `sandboxId`
   * through its agent, exactly as `POST /v1/sandboxes/{id}/processes` does
   * (`409` code `2002` when the sandbox is not running, `408` code `3002`
   * past `timeout`).
   */
  run(sandboxId: string, command: RunProcessBody): Promise<CommandResult>
}

/** A plugin: a module's default export. */
export interface WorkspaceManagerPlugin {
  /** Unique name, matched by WM_PLUGINS_ALLOWLIST / WM_PLUGINS_DENYLIST. */
  name: string
  /** The application kinds it provides. */
  kinds: ApplicationKindSpec[]
  /**
   * Registers helper routes. `app` is an encapsulated Fastify context whose
   * routes live under `/v1` (declare `/sandboxes/:id/<plugin>/...`) and
   * need the API key like every other route.
   */
  routes?(app: FastifyInstance, context: PluginContext): void | Promise<void>
}

/** Identity function that gives a plugin object its type (for plugins written in TypeScript). */
export function definePlugin(plugin: WorkspaceManagerPlugin): WorkspaceManagerPlugin {
  return plugin
}
