import { ApiError } from '../api/errors.js'

/**
 * `key=value` lines as a string map; empty text is no map. A line without
 * `=` is refused here (code 1001, as the server would) rather than dropped.
 */
export function parseMetadata(text: string, what = 'metadata'): Record<string, string> | null {
  const entries: [string, string][] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line) continue
    const at = line.indexOf('=')
    if (at <= 0) throw new ApiError(1001, 400, `${what} lines are key=value, got "${line}"`)
    entries.push([line.slice(0, at).trim(), line.slice(at + 1)])
  }
  return entries.length ? Object.fromEntries(entries) : null
}

/** A text area of `key=value` lines. */
export function MetadataInput(props: {
  value: string
  onInput: (value: string) => void
  label?: string
  name?: string
}) {
  return (
    <label>
      {props.label ?? 'Metadata (key=value per line)'}
      <textarea
        name={props.name ?? 'metadata'}
        rows={2}
        value={props.value}
        onInput={(event) => props.onInput(event.currentTarget.value)}
      />
    </label>
  )
}
