/**
 * Wire schemas of a sandbox's network policy (JSON, snake_case): what may
 * leave the sandbox, and what was refused.
 */
import { Type, type Static } from '@sinclair/typebox'

/** The policy modes a sandbox can have (the legacy `bridge` is only accepted as `network_mode`). */
export const NetworkPolicyMode = Type.Union(
  [Type.Literal('none'), Type.Literal('allowlist'), Type.Literal('open')],
  {
    description:
      'none: no network. allowlist: only the destinations of allow. open: the internet, never the host, other sandboxes, private, link-local or metadata addresses',
  },
)
export type NetworkPolicyMode = Static<typeof NetworkPolicyMode>

/** Most destinations one policy may list. */
export const MAX_ALLOW_ENTRIES = 256

/** Body of `PATCH /v1/sandboxes/{id}/network`, and `network` in a create request. */
export const NetworkPolicyBody = Type.Object(
  {
    mode: NetworkPolicyMode,
    allow: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 300 }), {
        maxItems: MAX_ALLOW_ENTRIES,
        description:
          'allowlist only: host names (api.example.com, *.example.com), IPv4/IPv6 addresses or CIDRs (10.0.0.0/8, [2001:db8::/32]), each with an optional :port',
      }),
    ),
  },
  { additionalProperties: false, title: 'NetworkPolicy' },
)
export type NetworkPolicyBody = Static<typeof NetworkPolicyBody>

/** One refused connection or name lookup. */
export const DeniedDestination = Type.Object({
  host: Type.String({ description: 'The name or address asked for' }),
  port: Type.Union([Type.Integer(), Type.Null()], { description: 'null for a name lookup' }),
  at: Type.String({ description: 'ISO 8601 time' }),
})
export type DeniedDestination = Static<typeof DeniedDestination>

/** A sandbox's policy as it applies now, and what it refused. */
export const NetworkStatus = Type.Object(
  {
    mode: Type.String({ description: 'none, allowlist, open, or the legacy bridge' }),
    allow: Type.Array(Type.String()),
    denied: Type.Object({
      count: Type.Integer({
        minimum: 0,
        description: 'Connections and lookups refused since the gateway started',
      }),
      recent: Type.Array(DeniedDestination, { description: 'The latest refusals, newest first' }),
    }),
  },
  { title: 'NetworkStatus' },
)
export type NetworkStatus = Static<typeof NetworkStatus>
