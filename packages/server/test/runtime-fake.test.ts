import { runRuntimeContract } from './runtime-contract.js'
import { fakeFactory, fakeUnavailable } from './helpers/runtime-harness.js'

runRuntimeContract('fake', fakeFactory(), fakeUnavailable)
// The capability-gated parts, which the fake can have where the local engine may not.
runRuntimeContract(
  'fake with process checkpoints',
  fakeFactory({ processCheckpoints: true }),
  fakeUnavailable,
)
