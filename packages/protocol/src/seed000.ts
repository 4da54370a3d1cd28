/**
 * Wire schemas of checkpoints (JSON, snake_case).
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
