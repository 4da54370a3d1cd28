import assert from 'node:assert/strict'
import { test } from 'node:test'
import { useCannedApi, wireSandbox } from './support/test-server.js'

const api = useCannedApi()

test('create sends secrets with their names as given; the reply lists names and hosts', async () => {
  api.reply = () => [
    201,
    wireSandbox('sb1', {
      network_mode: 'allowlist',
      secrets: { OPENAI_API_KEY: { hosts: ['api.openai.com'] }, my_token: { hosts: ['*.x.io'] } },
    }),
  ]
  const sandbox = await api.client.sandbox.create({
    workspaceId: 'ws1',
    network: { mode: 'allowlist', allow: ['api.openai.com', '*.x.io'] },
    secrets: {
      OPENAI_API_KEY: { value: 'sk-1', hosts: ['api.openai.com'] },
      my_token: { value: 't', hosts: ['*.x.io'] },
    },
  })
  // Secret names are environment variable names: data, never re-cased.
  assert.deepEqual(JSON.parse(api.only().body.toString()).secrets, {
    OPENAI_API_KEY: { value: 'sk-1', hosts: ['api.openai.com'] },
    my_token: { value: 't', hosts: ['*.x.io'] },
  })
  assert.deepEqual(sandbox.secrets, {
    OPENAI_API_KEY: { hosts: ['api.openai.com'] },
    my_token: { hosts: ['*.x.io'] },
  })
})
