import { imageReferenceProblem, quoted } from '../image-reference.js'
import type { ApplicationKindSpec, WorkspaceManagerPlugin } from './types.js'

/** Shape of plugin and kind names. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === 'string')
  )
}

function checkKind(kind: unknown, where: string): ApplicationKindSpec {
  if (typeof kind !== 'object' || kind === null) throw new Error(`${where} is not an object`)
  const spec = kind as Record<string, unknown>
  if (typeof spec.kind !== 'string' || !NAME_PATTERN.test(spec.kind)) {
    throw new Error(`${where}.kind must be a name of letters, digits, ".", "_" and "-"`)
  }
  const at = `${where} (${spec.kind})`
  if (spec.template !== undefined && (typeof spec.template !== 'string' || !spec.template)) {
    throw new Error(`${at}: template must be a non-empty string`)
  }
  const templateProblem = typeof spec.template === 'string' && imageReferenceProblem(spec.template)
  if (templateProblem) {
    throw new Error(
      `${at}: template ${quoted(spec.template as string)} is not a valid image reference: ${templateProblem}`,
    )
  }
  if (spec.env !== undefined && typeof spec.env !== 'function' && !isStringMap(spec.env)) {
    throw new Error(`${at}: env must be a map of strings or a function returning one`)
  }
  for (const flag of ['toolsVolume', 'runImageCommand'] as const) {
    if (spec[flag] !== undefined && typeof spec[flag] !== 'boolean') {
      throw new Error(`${at}: ${flag} must be a boolean`)
    }
  }
  if (spec.readiness !== undefined) {
    const check = spec.readiness as Record<string, unknown> | null
    const timeout = check?.timeoutSeconds
    if (
      typeof check !== 'object' ||
      check === null ||
      typeof check.cmd !== 'string' ||
      !check.cmd ||
      (check.args !== undefined && !isStringArray(check.args)) ||
      (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0) || timeout > 3600))
    ) {
      throw new Error(
        `${at}: readiness must be {cmd: string, args?: string[], timeoutSeconds?: 1-3600}`,
      )
    }
  }
  return spec as unknown as ApplicationKindSpec
}

/** Checks that a module's export is a plugin; throws saying what is wrong. */
export function checkPlugin(value: unknown, source: string): WorkspaceManagerPlugin {
  if (typeof value !== 'object' || value === null) {
    throw new Error(`${source} does not default-export a plugin object`)
  }
  const plugin = value as Record<string, unknown>
  if (typeof plugin.name !== 'string' || !NAME_PATTERN.test(plugin.name)) {
    throw new Error(`${source}: the plugin's name must be letters, digits, ".", "_" and "-"`)
  }
  if (!Array.isArray(plugin.kinds)) throw new Error(`${source}: kinds must be an array`)
  plugin.kinds.forEach((kind, index) => checkKind(kind, `${source}: kinds[${index}]`))
  if (plugin.routes !== undefined && typeof plugin.routes !== 'function') {
    throw new Error(`${source}: routes must be a function`)
  }
  return plugin as unknown as WorkspaceManagerPlugin
}
