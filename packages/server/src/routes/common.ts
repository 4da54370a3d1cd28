import { Type } from '@sinclair/typebox'
import { ErrorResponse, WorkspacePath } from '@workspace-manager/protocol'

/** Error-envelope response schemas for the given statuses. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorResponse]))
}

/** Statuses every authenticated route can answer with. */
export const COMMON_ERRORS = [400, 401, 500] as const

/** A route that parses a JSON body: one over the body limit is 413 code 1004 (checked before the schema). */
export const BODY_ERRORS = [...COMMON_ERRORS, 413] as const

/** Shape of every resource id. */
export const IdString = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,128}$',
  description: 'Resource id',
})

/** `{id}` path parameter. */
export const IdParams = Type.Object({ id: IdString })

/** A workspace-relative path in the query string. */
export const PathQuery = Type.Object({ path: WorkspacePath() })

/**
 * Boolean query flag: `true`/`false`/`1`/`0`. Type coercion is off for the
 * whole app (it would silently turn a JSON `42` into `"42"`), so query
 * flags are declared as words and read with `flag()`.
 */
export function BoolFlag(description: string) {
  return Type.Optional(
    Type.Union(
      [Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')],
      {
        description,
      },
    ),
  )
}

/** Reads a `BoolFlag` query value. */
export function flag(value: string | undefined, fallback: boolean): boolean {
  return value === undefined ? fallback : value === 'true' || value === '1'
}

/** `{id}/{pid}` path parameters; `pid` is digits (path parameters are never type-coerced). */
export const PidParams = Type.Object({
  id: IdString,
  pid: Type.String({ pattern: '^[1-9][0-9]{0,9}$', description: 'Process id inside the sandbox' }),
})
