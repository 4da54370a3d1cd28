/** Shared set-up of the live tests, which run only against a real server named by WM_TEST_API_URL. */
import { WorkspaceClient, type ClientEnvironment } from '../../src/index.js'

const apiUrl = process.env.WM_TEST_API_URL

/** `false` when live tests can run, else the reason they are skipped. */
export const skipLive: string | false = apiUrl ? false : 'set WM_TEST_API_URL to run live tests'

/** A client for the live server (API key from WM_TEST_API_KEY, if the server needs one); `env` sets client variables. */
export function liveClient(env: ClientEnvironment = {}): WorkspaceClient {
  return new WorkspaceClient({
    apiUrl,
    apiKey: process.env.WM_TEST_API_KEY,
    env,
  })
}

/** Image of the live sandboxes (built by the bootstrap); WM_TEST_TEMPLATE overrides it. */
export const LIVE_TEMPLATE = process.env.WM_TEST_TEMPLATE ?? 'workspace-test:latest'
