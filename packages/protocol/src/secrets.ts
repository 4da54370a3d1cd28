/**
 * Wire schemas of a sandbox's secrets (JSON, snake_case): values the
 * sandbox never holds. Its environment gets a placeholder under each name,
 * and the egress gateway puts the value in place of the placeholder in the
 * requests the sandbox sends to that secret's hosts only.
 */
import { Type, type Static } from '@sinclair/typebox'

/** Most secrets one sandbox may have. */
export const MAX_SECRETS = 64

/** Most hosts one secret may be sent to. */
export const MAX_SECRET_HOSTS = 32

/** Longest secret value, in characters (it travels in a request header). */
export const MAX_SECRET_VALUE = 8192

/** An environment variable name, as a secret's name. */
export const SECRET_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,127}$'

/** A host name, or `*.` and one: the last label starts with a letter (no address). */
const HOST_PATTERN =
  '^(\\*\\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.?$'

/** One secret in a create request. */
export const SecretSpec = Type.Object(
  {
    value: Type.String({
      minLength: 1,
      maxLength: MAX_SECRET_VALUE,
      pattern: '^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]+$',
      description:
        'The real value. Never stored in the clear, never returned, never inside the sandbox; no control characters (it is sent in request headers)',
    }),
    hosts: Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: HOST_PATTERN }), {
      minItems: 1,
      maxItems: MAX_SECRET_HOSTS,
      description:
        'Host names (api.example.com, *.example.com) whose requests get the value in place of the placeholder; requests elsewhere keep the placeholder',
    }),
  },
  { additionalProperties: false, title: 'SecretSpec' },
)
export type SecretSpec = Static<typeof SecretSpec>

/** `secrets` in a create request: environment variable name to secret. */
export const SecretsBody = Type.Record(Type.String({ pattern: SECRET_NAME_PATTERN }), SecretSpec, {
  additionalProperties: false,
  maxProperties: MAX_SECRETS,
  description:
    'Secrets the sandbox uses without holding them: its environment gets a placeholder under each name, and the egress gateway replaces the placeholder with the value in requests to the listed hosts (HTTP headers and the request target; HTTPS through a per-sandbox CA the sandbox trusts). Needs network mode allowlist or open to be sent anywhere.',
})
export type SecretsBody = Static<typeof SecretsBody>

/** A secret as replies show it: where it goes, never its value. */
export const SecretStatus = Type.Object(
  { hosts: Type.Array(Type.String()) },
  { title: 'SecretStatus' },
)
export type SecretStatus = Static<typeof SecretStatus>

/** `secrets` in a sandbox reply: name to hosts. */
export const SecretsStatus = Type.Record(Type.String(), SecretStatus, {
  description: "The sandbox's secrets by name and where each is sent; values are never returned",
})
export type SecretsStatus = Static<typeof SecretsStatus>
