import { imageReferenceProblem, quoted } from '../image-reference.js'
import { ConfigError, type Env, readString } from './parse.js'

/** One template the warm pool keeps ready sandboxes of. */
export interface WarmPoolEntry {
  /** The template (image reference), matched as written against a create's template. */
  template: string
  /** How many ready sandboxes of it to keep. */
  count: number
}

/** The most ready sandboxes kept per template: each holds the default limits' worth of a host. */
export const WARM_POOL_MAX_COUNT = 64

/**
 * Parses a warm pool setting, `template=count` entries separated by commas
 * (`workspace-test:latest=4,ubuntu:22.04=2`); none when unset. The pool
 * needs the Docker engine with its default OCI runtime (runc): it attaches a
 * workspace to a running container by mount propagation into it, which is
 * done (and tested) for runc containers only, so any other `runtime` is refused.
 */
export function readWarmPool(env: Env, name: string, runtime: string): WarmPoolEntry[] {
  const value = readString(env, name)
  if (value === undefined) return []
  const entries: WarmPoolEntry[] = []
  for (const item of value.split(',').map((part) => part.trim())) {
    const at = item.lastIndexOf('=')
    const template = item.slice(0, at).trim()
    const count = item.slice(at + 1).trim()
    if (at < 0 || template === '' || !/^\d+$/.test(count)) {
      throw new ConfigError(
        name,
        `expected template=count entries separated by commas, got "${item}"`,
      )
    }
    const problem = imageReferenceProblem(template)
    if (problem) {
      throw new ConfigError(name, `${quoted(template)} is not a valid image reference: ${problem}`)
    }
    const number = Number(count)
    if (number < 1 || number > WARM_POOL_MAX_COUNT) {
      throw new ConfigError(
        name,
        `the count of ${template} must be between 1 and ${WARM_POOL_MAX_COUNT}, got ${count}`,
      )
    }
    if (entries.some((entry) => entry.template === template)) {
      throw new ConfigError(name, `${template} is named twice`)
    }
    entries.push({ template, count: number })
  }
  if (runtime !== 'runc') {
    throw new ConfigError(
      name,
      `the warm pool works with WM_RUNTIME=runc only (not ${runtime}): it attaches workspaces to running runc containers by mount propagation`,
    )
  }
  return entries
}
