import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Sandbox } from '@workspace-manager/protocol'
import type { SandboxService } from '../services/sandboxes.js'
import { COMMON_ERRORS, IdParams, errorResponses } from './common.js'

/** The lifecycle operations, each answering the sandbox once it has completed. */
const OPERATIONS = [
  {
    name: 'stop',
    summary:
      'Stop a sandbox, keeping its container (root filesystem), id, env, limits and workspace; its processes end (SIGTERM, WORKSPACE_STOP_TIMEOUT_SECONDS of grace, SIGKILL). Already stopped: answered as is',
    run: (sandboxes: SandboxService, id: string) => sandboxes.stopSandbox(id),
  },
  {
    name: 'start',
    summary:
      'Start a stopped (or failed) sandbox again: the same container, its root filesystem as left; processes start afresh. Answers once its agent does; already running: answered as is',
    run: (sandboxes: SandboxService, id: string) => sandboxes.startSandbox(id),
  },
  {
    name: 'pause',
    summary:
      'Freeze every process of a running sandbox (memory kept). Already paused: answered as is; not running: 409 code 2002',
    run: (sandboxes: SandboxService, id: string) => sandboxes.pause(id),
  },
  {
    name: 'resume',
    summary:
      'Make a sandbox run again: a paused one is thawed, a stopped one started. Already running: answered as is',
    run: (sandboxes: SandboxService, id: string) => sandboxes.resume(id),
  },
] as const

/**
 * `POST /v1/sandboxes/{id}/stop|start|pause|resume`. An operation asked
 * while another runs on the same sandbox waits for it (one at a time per
 * sandbox), then acts on the state it left.
 */
export function lifecycleRoutes(app: FastifyInstance, sandboxes: SandboxService): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  for (const operation of OPERATIONS) {
    typed.post(
      `/v1/sandboxes/:id/${operation.name}`,
      {
        schema: {
          tags: ['sandboxes'],
          summary: operation.summary,
          params: IdParams,
          response: { 200: Sandbox, ...errorResponses(...COMMON_ERRORS, 404, 409, 413, 503) },
        },
      },
      async (request) => operation.run(sandboxes, request.params.id),
    )
  }
}
