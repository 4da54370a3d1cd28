import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import Docker from 'dockerode'
import { beforeClose, createWorkspace, testApp } from './app.js'
import type { Config } from '../../src/config/index.js'
import type { AppDeps } from '../../src/app.js'

/** The template the bootstrap builds offline (Debian with bash and python3). */
export const TEST_TEMPLATE = 'workspace-test:latest'

/** A Docker client for tests that inspect what the server did. */
export const docker = new Docker()

/** An app whose sandboxes use the test template, with short grace periods. */
export async function sandboxApp(
  t: TestContext,
  env: Record<string, string> = {},
  deps: AppDeps = {},
): Promise<{ app: FastifyInstance; config: Config }> {
  return testApp(
    t,
    {
      WORKSPACE_DEFAULT_IMAGE: TEST_TEMPLATE,
      WORKSPACE_STOP_TIMEOUT_SECONDS: '1',
      WORKSPACE_DEFAULT_MEM: '512m',
      ...env,
    },
    deps,
  )
}

/** Creates a workspace and a running sandbox in it; the sandbox is force-deleted after the test. */
export async function createSandbox(
  _t: TestContext,
  app: FastifyInstance,
  body: Record<string, unknown> = {},
): Promise<{ workspaceId: string; sandboxId: string; sandbox: Record<string, unknown> }> {
  const workspaceId = (body.workspace_id as string | undefined) ?? (await createWorkspace(app))
  const response = await app.inject({
    method: 'POST',
    url: '/v1/sandboxes',
    payload: { workspace_id: workspaceId, ...body },
  })
  if (response.statusCode !== 201) throw new Error(`sandbox create failed: ${response.body}`)
  const sandbox = response.json()
  beforeClose(app, () =>
    app.inject({ method: 'DELETE', url: `/v1/sandboxes/${sandbox.id}?force=true` }),
  )
  return { workspaceId, sandboxId: sandbox.id, sandbox }
}

/** Runs a command to completion through the API and returns status and JSON body. */
export async function run(
  app: FastifyInstance,
  sandboxId: string,
  body: Record<string, unknown>,
): Promise<{ status: number; json: Record<string, any> }> {
  const response = await app.inject({
    method: 'POST',
    url: `/v1/sandboxes/${sandboxId}/processes`,
    payload: body,
  })
  return { status: response.statusCode, json: response.json() }
}

/** Parses an SSE body into [event, data] pairs. */
export function parseSse(
  body: string,
): Array<{ event: string | undefined; data: any; id: string | undefined }> {
  return body
    .split('\n\n')
    .filter((frame) => frame.trim() && !frame.startsWith(':'))
    .map((frame) => {
      const fields = Object.fromEntries(
        frame
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      )
      return { event: fields.event, data: JSON.parse(fields.data ?? 'null'), id: fields.id }
    })
}

/** Containers of one server instance, by its data dir's instance label. */
export async function containersOf(config: Config): Promise<Docker.ContainerInfo[]> {
  const { instanceId } = await import('../../src/runtime/index.js')
  return docker.listContainers({
    all: true,
    filters: { label: [`wm.instance=${instanceId(config.dataDir)}`] },
  })
}
