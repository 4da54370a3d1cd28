import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, loadConfig } from '../src/config/index.js'

test('WM_K8S_AGENT_ACCESS: pod-ip by default, port-forward on request, anything else refused', () => {
  assert.equal(loadConfig({ WM_DATA_DIR: '/tmp' }).kubernetes.agentAccess, 'pod-ip')
  for (const mode of ['pod-ip', 'port-forward'] as const) {
    const config = loadConfig({ WM_DATA_DIR: '/tmp', WM_K8S_AGENT_ACCESS: mode })
    assert.equal(config.kubernetes.agentAccess, mode)
  }
  for (const value of ['portforward', 'Port-Forward', 'service', 'pod-ip,port-forward']) {
    assert.throws(
      () => loadConfig({ WM_DATA_DIR: '/tmp', WM_K8S_AGENT_ACCESS: value }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.variable === 'WM_K8S_AGENT_ACCESS' &&
        /expected one of pod-ip, port-forward/.test(error.message),
      value,
    )
  }
})
