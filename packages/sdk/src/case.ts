/**
 * The one place where the wire's snake_case meets the SDK's camelCase.
 *
 * Keys inside user-owned maps (metadata, env, secrets) are data, not field
 * names, so they pass through untouched in both directions.
 */

/**
 * Fields whose values are maps keyed by data (user metadata and env, error
 * details, `/ready`'s check names): their keys are never rewritten.
 */
const OPAQUE_FIELDS = new Set(['metadata', 'env', 'secrets', 'details', 'checks'])

/** Field names whose values are maps keyed by data (camelCase and snake_case spell them alike). */
type OpaqueField = 'metadata' | 'env' | 'secrets' | 'details' | 'checks'

/** `created_at` → `createdAt`, at the type level. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S

/** A wire (snake_case) type with every field name converted to camelCase, recursively. */
export type CamelCased<T> = T extends readonly (infer Item)[]
  ? CamelCased<Item>[]
  : T extends object
    ? {
        [K in keyof T as K extends string ? CamelCase<K> : K]: K extends OpaqueField
          ? T[K]
          : CamelCased<T[K]>
      }
    : T

function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase())
}

function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function convertKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => convertKeys(item, rename))
  if (!isPlainObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) {
    out[rename(key)] = OPAQUE_FIELDS.has(key) ? inner : convertKeys(inner, rename)
  }
  return out
}

/** Converts a parsed wire value (snake_case keys) to the SDK's camelCase shape. */
export function fromWire<W>(wire: W): CamelCased<W> {
  return convertKeys(wire, snakeToCamel) as CamelCased<W>
}

/** Converts an SDK value (camelCase keys) to the wire's snake_case shape, ready for `JSON.stringify`. */
export function toWire(value: unknown): unknown {
  return convertKeys(value, camelToSnake)
}
