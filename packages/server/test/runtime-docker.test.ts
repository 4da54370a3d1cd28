import { runRuntimeContract } from './runtime-contract.js'
import { dockerFactory, dockerUnavailable } from './helpers/runtime-harness.js'
import { docker } from './helpers/sandbox.js'

// The real engine, the real agent as each container's main process, the test template.
runRuntimeContract('docker', dockerFactory(), dockerUnavailable)

// Under gVisor too where the engine has it (the bootstrap registers it): process checkpoints.
const info = (await docker.info()) as { Runtimes?: Record<string, unknown> }
if (info.Runtimes?.runsc)
  runRuntimeContract('docker (runsc)', dockerFactory('runsc'), dockerUnavailable)
