import type { WorkspaceManagerPlugin } from '../types.js'
import { READINESS_SCRIPT } from './scripts.js'
import { SPLUNK_KIND, splunkRoutes } from './search.js'

/**
 * Template of the kind: a stand-in built offline by
 * scripts/build-splunk-standin.sh, not Splunk (no Splunk image can be
 * pulled here). A create request can name a real Splunk image instead.
 */
export const SPLUNK_TEMPLATE = 'wm-splunk-standin:latest'

/** SPLUNK_USERNAME / SPLUNK_PASSWORD of the server. */
export interface SplunkCredentials {
  username: string | null
  password: string | null
}

/**
 * The built-in Splunk plugin: kind `splunk` (the template's own command
 * serves Splunk's REST API on 8089; the credentials are put in the
 * sandbox's environment; ready once that port answers) and
 * `POST /v1/sandboxes/{id}/splunk/search`.
 */
export function splunkPlugin(credentials: SplunkCredentials): WorkspaceManagerPlugin {
  return {
    name: 'splunk',
    kinds: [
      {
        kind: SPLUNK_KIND,
        template: SPLUNK_TEMPLATE,
        runImageCommand: true,
        env: () => {
          const missing = [
            credentials.username ? null : 'SPLUNK_USERNAME',
            credentials.password ? null : 'SPLUNK_PASSWORD',
          ].filter((name) => name !== null)
          if (missing.length || !credentials.username || !credentials.password) {
            throw new Error(
              `set ${missing.join(' and ')} in the server's environment: sandboxes of kind splunk are given those credentials`,
            )
          }
          return { SPLUNK_USERNAME: credentials.username, SPLUNK_PASSWORD: credentials.password }
        },
        readiness: { cmd: 'python3', args: ['-c', READINESS_SCRIPT], timeoutSeconds: 60 },
      },
    ],
    routes: splunkRoutes,
  }
}
