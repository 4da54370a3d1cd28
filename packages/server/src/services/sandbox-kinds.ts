import type { AgentClient } from '../agent/client.js'

/** What an application kind asks of every sandbox created with it. */
export interface KindLaunch {
  /** Template used when the create request names none; null for the server default. */
  template: string | null
  /** Environment put under the request's own (the request wins); never stored or shown. */
  env: Record<string, string>
  /** Mount the tools volume (WORKSPACE_TOOLS_VOLUME) read-only at /opt/tools. */
  toolsVolume: boolean
  /** Have the agent run the image's own command beside its API. */
  runImageCommand: boolean
  /** Resolves once the started sandbox is ready for use; rejects saying why it is not. */
  ready: ((agent: AgentClient) => Promise<void>) | null
}

/** Where the sandbox service looks application kinds up. */
export interface SandboxKinds {
  /**
   * What `kind` asks of a sandbox. Throws an ApiError 1001 for a kind no
   * plugin provides or one that cannot be used as configured; `source` says
   * whether the request named it or WORKSPACE_APPLICATION_KIND did.
   */
  launch(kind: string, source: 'request' | 'default'): KindLaunch
}
