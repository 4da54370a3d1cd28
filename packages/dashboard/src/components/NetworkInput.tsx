import type { NetworkPolicyBody } from '../api/resources.js'

/** The policy modes a sandbox can be created with or changed to. */
export type NetworkMode = NetworkPolicyBody['mode']

/**
 * An allow list as typed: one entry per line or comma separated; blanks are
 * dropped. The server judges each entry (code 1001 for a bad one).
 */
export function parseAllowList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
}

/** A policy as the API takes it: `allow` only for allowlist, where it means something. */
export function networkBody(mode: NetworkMode, allowText: string): NetworkPolicyBody {
  return mode === 'allowlist' ? { mode, allow: parseAllowList(allowText) } : { mode }
}

/** The mode choice, and the allow list beside it when the mode is allowlist. */
export function NetworkFields(props: {
  mode: NetworkMode
  allow: string
  onMode: (mode: NetworkMode) => void
  onAllow: (allow: string) => void
}) {
  return (
    <>
      <label>
        Network
        <select
          name="network"
          value={props.mode}
          onChange={(event) => props.onMode(event.currentTarget.value as NetworkMode)}
        >
          <option value="none">none</option>
          <option value="allowlist">allowlist</option>
          <option value="open">open</option>
        </select>
      </label>
      {props.mode === 'allowlist' && (
        <label>
          Allowed destinations (one per line or comma separated; empty reaches nothing)
          <textarea
            name="allow"
            rows={2}
            placeholder="pypi.org, *.pythonhosted.org, 10.20.0.0/16:5432"
            value={props.allow}
            onInput={(event) => props.onAllow(event.currentTarget.value)}
          />
        </label>
      )}
    </>
  )
}
