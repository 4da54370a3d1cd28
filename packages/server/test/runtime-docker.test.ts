import { runRuntimeContract } from './runtime-contract.js'
import { dockerUnavailable, dockerUnderTest } from './helpers/runtime-harness.js'

// The real engine, the real agent as each container's main process, the test template.
runRuntimeContract('docker', dockerUnderTest, dockerUnavailable)
