import { useState } from 'preact/hooks'
import { sandboxes, type CreateSandboxBody, type Workspace } from '../api/resources.js'
import { Busy, ErrorBox, useAction } from './common.js'
import { MetadataInput, parseMetadata } from './MetadataInput.js'
import { NetworkFields, networkBody, type NetworkMode } from './NetworkInput.js'
import { EMPTY_SECRET, SecretsInput, secretsBody, type SecretRow } from './SecretsInput.js'

/**
 * The create form: workspace, template, resources, disk size, network and
 * its allow list, env, secrets and timeout.
 */
export function CreateSandbox(props: { workspaces: Workspace[]; onCreated: () => Promise<void> }) {
  const [workspaceId, setWorkspaceId] = useState('')
  const [name, setName] = useState('')
  const [template, setTemplate] = useState('')
  const [cpu, setCpu] = useState('')
  const [memory, setMemory] = useState('')
  const [disk, setDisk] = useState('')
  const [network, setNetwork] = useState<NetworkMode>('none')
  const [allow, setAllow] = useState('')
  const [secrets, setSecrets] = useState<SecretRow[]>([EMPTY_SECRET])
  const [env, setEnv] = useState('')
  const [timeout, setTimeoutText] = useState('')
  const action = useAction()
  const chosen = workspaceId || props.workspaces[0]?.id || ''

  async function submit(event: Event) {
    event.preventDefault()
    await action.run('Creating sandbox (until it is running)', async () => {
      const parsedEnv = parseMetadata(env, 'env')
      const parsedSecrets = secretsBody(secrets)
      const body: CreateSandboxBody = {
        workspace_id: chosen,
        network: networkBody(network, allow),
        ...(name ? { name } : {}),
        ...(template ? { template } : {}),
        ...(cpu ? { cpu: Number.isNaN(Number(cpu)) ? cpu : Number(cpu) } : {}),
        ...(memory ? { memory } : {}),
        // As typed ("2GiB" or bytes): the server parses and judges it.
        ...(disk.trim() ? { disk_bytes: disk.trim() } : {}),
        ...(parsedEnv ? { env: parsedEnv } : {}),
        ...(parsedSecrets ? { secrets: parsedSecrets } : {}),
        ...(timeout ? { timeout: Number(timeout) } : {}),
      }
      await sandboxes.create(body)
      // Values typed are not kept in the page once the server has them.
      setSecrets([EMPTY_SECRET])
      await props.onCreated()
    })
  }

  return (
    <form class="card create" onSubmit={submit} data-testid="create-sandbox">
      <h2>New sandbox</h2>
      <div class="grid">
        <label>
          Workspace
          <select
            name="workspace"
            value={chosen}
            onChange={(event) => setWorkspaceId(event.currentTarget.value)}
            required
          >
            {props.workspaces.map((space) => (
              <option value={space.id} key={space.id}>
                {space.name ?? space.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name
          <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Template
          <input
            name="template"
            placeholder="server default"
            value={template}
            onInput={(e) => setTemplate(e.currentTarget.value)}
          />
        </label>
        <label>
          CPU (cores)
          <input
            name="cpu"
            placeholder="default"
            value={cpu}
            onInput={(e) => setCpu(e.currentTarget.value)}
          />
        </label>
        <label>
          Memory
          <input
            name="memory"
            placeholder="e.g. 512m"
            value={memory}
            onInput={(e) => setMemory(e.currentTarget.value)}
          />
        </label>
        <label>
          Disk
          <input
            name="disk"
            placeholder="e.g. 2GiB (server default)"
            value={disk}
            onInput={(e) => setDisk(e.currentTarget.value)}
          />
        </label>
        <label>
          Timeout (seconds)
          <input
            name="timeout"
            type="number"
            min={1}
            placeholder="none"
            value={timeout}
            onInput={(e) => setTimeoutText(e.currentTarget.value)}
          />
        </label>
      </div>
      <div class="network-fields">
        <NetworkFields mode={network} allow={allow} onMode={setNetwork} onAllow={setAllow} />
      </div>
      <MetadataInput
        label="Environment (NAME=value per line)"
        name="env"
        value={env}
        onInput={setEnv}
      />
      <SecretsInput rows={secrets} onRows={setSecrets} />
      <button type="submit" disabled={action.busy !== null || !chosen}>
        Create sandbox
      </button>
      {!props.workspaces.length && <p class="hint">Create a workspace first.</p>}
      {action.busy && <Busy label={action.busy} />}
      <ErrorBox error={action.error} />
    </form>
  )
}
