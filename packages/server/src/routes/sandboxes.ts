import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type TSchema } from '@sinclair/typebox'
import { CreateSandboxBody, Sandbox, SandboxList, SandboxState } from '@workspace-manager/protocol'
import type { SandboxService } from '../services/sandboxes.js'
import {
  BODY_ERRORS,
  BoolFlag,
  COMMON_ERRORS,
  IdParams,
  IdString,
  errorResponses,
  flag,
} from './common.js'
import { DOCUMENTED_MAX_LENGTH, IMAGE_REFERENCE_PATTERN } from '../image-reference.js'

/** The shapes `parseCpu` and `parseMemory` (config/parse.ts) accept for cpu and memory strings. */
const CPU_PATTERN = '^\\s*\\d+(\\.\\d+)?[cCmM]?\\s*$'
const MEMORY_PATTERN = '^\\s*\\d+(\\.\\d+)?\\s*[bBkKmMgGtT]?([iI]?[bB])?\\s*$'

/** `schema` (a union) with `pattern` (and a tighter `maxLength`, if given) on its string branch. */
function withStringPattern(schema: TSchema, pattern: string, maxLength?: number): TSchema {
  const branches = (schema.anyOf ?? []) as TSchema[]
  const limits = maxLength === undefined ? { pattern } : { pattern, maxLength }
  return {
    ...schema,
    anyOf: branches.map((branch) => (branch.type === 'string' ? { ...branch, ...limits } : branch)),
  }
}

/**
 * The create body as the document shows it: `application_kind` one of `kinds`
 * (the kinds the loaded plugins provide) and the shapes of template, cpu and
 * memory strings. Validation keeps the plain strings, so that anything else is
 * refused by the service, whose message says what would do (the kinds there
 * are, "1c" or "1500m", "512m").
 */
function documentedCreateBody(kinds: readonly string[]) {
  const { cpu, memory, template } = CreateSandboxBody.properties
  const kind = Type.Union([...kinds.map((name) => Type.Literal(name)), Type.Null()], {
    description: 'One of the kinds of GET /v1/application-kinds; none by default',
  })
  return Type.Object(
    {
      ...CreateSandboxBody.properties,
      template: Type.Optional(
        withStringPattern(template, IMAGE_REFERENCE_PATTERN, DOCUMENTED_MAX_LENGTH),
      ),
      cpu: Type.Optional(withStringPattern(cpu, CPU_PATTERN)),
      memory: Type.Optional(withStringPattern(memory, MEMORY_PATTERN)),
      application_kind: Type.Optional(kind),
    },
    { additionalProperties: false },
  )
}

/** Create, list, get and delete sandboxes; `kinds` are the application kinds a create may name. */
export function sandboxRoutes(
  app: FastifyInstance,
  sandboxes: SandboxService,
  kinds?: readonly string[],
): void {
  const typed = app.withTypeProvider<TypeBoxTypeProvider>()
  const tags = ['sandboxes']

  typed.post(
    '/v1/sandboxes',
    {
      schema: {
        tags,
        summary:
          'Create a sandbox bound to a workspace; waits until it is running unless wait=false',
        querystring: Type.Object({ wait: BoolFlag('Wait until running (default true)') }),
        body: CreateSandboxBody,
        response: { 201: Sandbox, ...errorResponses(...BODY_ERRORS, 404, 503) },
      },
      ...(kinds && {
        config: {
          swaggerTransform: ({ schema, url }) => ({
            schema: { ...schema, body: documentedCreateBody(kinds) },
            url,
          }),
        },
      }),
    },
    async (request, reply) => {
      const sandbox = await sandboxes.create(request.body, flag(request.query.wait, true))
      return reply.status(201).send(sandbox)
    },
  )

  typed.get(
    '/v1/sandboxes',
    {
      schema: {
        tags,
        summary: 'List sandboxes, oldest first',
        querystring: Type.Object({
          workspace_id: Type.Optional(IdString),
          state: Type.Optional(SandboxState),
        }),
        response: { 200: SandboxList, ...errorResponses(...COMMON_ERRORS) },
      },
    },
    async (request) => ({
      sandboxes: await sandboxes.list({
        ...(request.query.workspace_id ? { workspaceId: request.query.workspace_id } : {}),
        ...(request.query.state ? { state: request.query.state } : {}),
      }),
    }),
  )

  typed.get(
    '/v1/sandboxes/:id',
    {
      schema: {
        tags,
        summary: 'Get a sandbox',
        params: IdParams,
        response: { 200: Sandbox, ...errorResponses(...COMMON_ERRORS, 404) },
      },
    },
    async (request) => sandboxes.get(request.params.id),
  )

  typed.delete(
    '/v1/sandboxes/:id',
    {
      schema: {
        tags,
        summary:
          'Stop and remove a sandbox (force=true kills at once; otherwise SIGTERM and WORKSPACE_STOP_TIMEOUT_SECONDS of grace)',
        params: IdParams,
        querystring: Type.Object({ force: BoolFlag('Kill without a grace period') }),
        response: { 204: Type.Null(), ...errorResponses(...COMMON_ERRORS, 404, 503) },
      },
    },
    async (request, reply) => {
      await sandboxes.delete(request.params.id, flag(request.query.force, false))
      return reply.status(204).send(null)
    },
  )
}
