/**
 * The grammar of container image references, as the engine parses them
 * (github.com/distribution/reference):
 *
 *     reference := name [":" tag] ["@" digest]
 *     name      := [domain "/"] path-component ["/" path-component]*
 *     domain    := (domain-component ["." domain-component]* | "[" ipv6 "]") [":" port]
 *
 * A template is checked against it before the engine sees it, so a bad one
 * is a clear 400 rather than an engine error (dockerode refuses some names
 * outright with "Request path contains unescaped characters").
 */

/** Longest name (domain and path, without tag or digest) the engine accepts, as it stores it. */
export const NAME_MAX_LENGTH = 255

/** What the engine puts before a name that gives no registry, and before a lone component. */
const DEFAULT_DOMAIN = 'docker.io'
const OFFICIAL_REPOSITORY = 'library'

/**
 * Longest reference the OpenAPI document allows: any reference this long or
 * shorter keeps its name within `NAME_MAX_LENGTH` even once the engine has
 * added `docker.io/library/` to it.
 */
export const DOCUMENTED_MAX_LENGTH =
  NAME_MAX_LENGTH - `${DEFAULT_DOMAIN}/${OFFICIAL_REPOSITORY}/`.length

/**
 * `name` as the engine stores it: Docker Hub's domain added when the first
 * part is no registry (no ".", no ":", not "localhost", lowercase), and
 * `library/` before a lone component on Docker Hub (distribution's
 * `splitDockerDomain`). Its length is what the engine limits.
 */
function normalizedName(name: string): string {
  const slash = name.indexOf('/')
  const first = slash === -1 ? '' : name.slice(0, slash)
  const explicitDomain =
    slash !== -1 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first)
  const domain = explicitDomain ? first : DEFAULT_DOMAIN
  const remainder = explicitDomain ? name.slice(slash + 1) : name
  const official = domain === DEFAULT_DOMAIN && !remainder.includes('/')
  return `${domain}/${official ? `${OFFICIAL_REPOSITORY}/` : ''}${remainder}`
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DOMAIN_NAME =
  /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/
const PORT = /^[0-9]+$/
const TAG = /^\w[\w.-]{0,127}$/
/**
 * The digests the engine takes: the grammar allows any algorithm, but the
 * engine checks that it knows it and that the hex has that algorithm's length.
 */
const DIGEST_SOURCE = 'sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128}'
const DIGEST = new RegExp(`^(?:${DIGEST_SOURCE})$`)

/**
 * The same grammar as one regular expression, for the OpenAPI document (with
 * `DOCUMENTED_MAX_LENGTH` as the string's maxLength, which keeps every name
 * within the engine's limit). Character classes are spelled out rather than `\w`/`\d`, which match
 * non-ASCII letters and digits in some regex dialects that read the document.
 * A registry written as a bracketed IPv6 address (`[::1]:5000/x`), which the
 * server accepts, is left out: generators that rewrite the pattern's
 * quantifiers emit its `\]` unescaped, which ECMA-262 (unicode) refuses.
 */
export const IMAGE_REFERENCE_PATTERN = (() => {
  const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
  const domainComponent = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?'
  const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`
  const tag = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}'
  return `^(?:${domain}/)?${pathComponent}(?:/${pathComponent})*(?::${tag})?(?:@(?:${DIGEST_SOURCE}))?$`
})()

const PATH_RULE =
  'lowercase letters and digits, separated by ".", "_", "__" or dashes, never at either end'

/** `value` quoted for a message, with control characters escaped so they stay visible. */
export function quoted(value: string): string {
  return JSON.stringify(value)
}

function isDomain(part: string): boolean {
  const colon = part.startsWith('[') ? part.indexOf(':', part.indexOf(']')) : part.indexOf(':')
  const host = colon === -1 ? part : part.slice(0, colon)
  const port = colon === -1 ? null : part.slice(colon + 1)
  return (DOMAIN_NAME.test(host) || IPV6_HOST.test(host)) && (port === null || PORT.test(port))
}

function characterProblem(reference: string): string | null {
  for (const char of reference) {
    const code = char.codePointAt(0)!
    const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`
    if (code < 0x20 || code === 0x7f) return `it contains the control character ${hex}`
    if (char === ' ') return 'it contains a space'
    if (code > 0x7e)
      return `it contains ${quoted(char)} (${hex}); only ASCII characters are allowed`
  }
  return null
}

function nameProblem(name: string): string | null {
  if (name === '') return 'the repository name is empty'
  const stored = normalizedName(name)
  if (stored.length > NAME_MAX_LENGTH) {
    const as =
      stored === name
        ? ''
        : ` as the engine stores it (${stored.slice(0, stored.length - name.length)}…)`
    return `the repository name is ${stored.length} characters long${as}, more than ${NAME_MAX_LENGTH}`
  }
  const parts = name.split('/')
  // As in the engine, a first part followed by more is a registry when it reads as one.
  const path = parts.length > 1 && isDomain(parts[0]!) ? parts.slice(1) : parts
  for (const component of path) {
    if (PATH_COMPONENT.test(component)) continue
    if (PATH_COMPONENT.test(component.toLowerCase())) {
      return `the repository name must be lowercase (${quoted(component)})`
    }
    if (component === '') {
      return 'the repository name has an empty component (a leading, trailing or doubled "/")'
    }
    if (component.includes(':')) {
      return `${quoted(component)} holds a ":" where none may be: one ":" may only introduce the tag`
    }
    return `${quoted(component)} is not a repository name component: ${PATH_RULE}`
  }
  return null
}

/**
 * What is wrong with `reference` as an image reference, in a phrase that
 * follows "is not a valid image reference: "; null when it is valid.
 */
export function imageReferenceProblem(reference: string): string | null {
  if (reference === '') return 'it is empty'
  const characters = characterProblem(reference)
  if (characters) return characters
  const at = reference.indexOf('@')
  const digest = at === -1 ? null : reference.slice(at + 1)
  const withoutDigest = at === -1 ? reference : reference.slice(0, at)
  if (digest !== null && !DIGEST.test(digest)) {
    return `the digest ${quoted(digest)} is not sha256:<64>, sha384:<96> or sha512:<128 lowercase hex digits>`
  }
  // A tag's colon comes after the last "/": an earlier one is a registry's port.
  const colon = withoutDigest.lastIndexOf(':')
  const hasTag = colon > withoutDigest.lastIndexOf('/')
  const name = hasTag ? withoutDigest.slice(0, colon) : withoutDigest
  const tag = hasTag ? withoutDigest.slice(colon + 1) : null
  const problem = nameProblem(name)
  if (problem) return problem
  if (tag !== null && !TAG.test(tag)) {
    return `the tag ${quoted(tag)} must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"`
  }
  return null
}
