/**
 * Wire schemas of checkpoints, application kinds and the Splunk helper
 * (JSON, snake_case).
 */
import { Type, type Static } from '@sinclair/typebox'
import { NameInput } from './schemas.js'

/**
 * What a checkpoint captured: `process` is a real process checkpoint (memory
 * included, runsc); `filesystem` is the container's filesystem (a committed
 * image) plus a snapshot of the workspace — running processes are not kept.
 */
export const CheckpointKind = Type.Union([Type.Literal('process'), Type.Literal('filesystem')])
export type CheckpointKind = Static<typeof CheckpointKind>

/** A checkpoint of a sandbox. */
export const Checkpoint = Type.Object(
  {
    id: Type.String(),
    sandbox_id: Type.String(),
    workspace_id: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    kind: CheckpointKind,
    image: Type.String({ description: 'The image the sandbox is restarted from on restore' }),
    created_at: Type.String({ description: 'ISO 8601 time' }),
  },
  { title: 'Checkpoint' },
)
export type Checkpoint = Static<typeof Checkpoint>

/** Body of `POST /v1/sandboxes/{id}/checkpoints`. */
export const CreateCheckpointBody = Type.Object(
  { name: NameInput },
  { additionalProperties: false },
)
export type CreateCheckpointBody = Static<typeof CreateCheckpointBody>

/** Reply of `GET /v1/sandboxes/{id}/checkpoints`, oldest first. */
export const CheckpointList = Type.Object({ checkpoints: Type.Array(Checkpoint) })
export type CheckpointList = Static<typeof CheckpointList>

/** An application kind a plugin provides. */
export const ApplicationKind = Type.Object(
  {
    kind: Type.String(),
    plugin: Type.String(),
    template: Type.Union([Type.String(), Type.Null()], {
      description: 'Template used when a create request names none; null for the server default',
    }),
  },
  { title: 'ApplicationKind' },
)
export type ApplicationKind = Static<typeof ApplicationKind>

/** Reply of `GET /v1/application-kinds`. */
export const ApplicationKindList = Type.Object({ application_kinds: Type.Array(ApplicationKind) })
export type ApplicationKindList = Static<typeof ApplicationKindList>

/** Body of `POST /v1/sandboxes/{id}/splunk/search`. */
export const SplunkSearchBody = Type.Object(
  {
    query: Type.String({
      minLength: 1,
      maxLength: 65536,
      description: 'SPL; "search " is prepended unless it starts with "search" or "|"',
    }),
    timeout: Type.Optional(
      // At least a second: Splunk takes some to answer at all, so a shorter bound would only
      // ever time out (408 code 3002).
      Type.Union([Type.Number({ minimum: 1, maximum: 3600 }), Type.Null()], {
        description:
          'Seconds, 1 to 3600 (default 60); a search Splunk does not answer within it is 408 code 3002',
      }),
    ),
  },
  { additionalProperties: false },
)
export type SplunkSearchBody = Static<typeof SplunkSearchBody>

/** Reply of a Splunk search: the `result` of every line Splunk's export streamed. */
export const SplunkSearchResult = Type.Object(
  { results: Type.Array(Type.Record(Type.String(), Type.Unknown())) },
  { title: 'SplunkSearchResult' },
)
export type SplunkSearchResult = Static<typeof SplunkSearchResult>
