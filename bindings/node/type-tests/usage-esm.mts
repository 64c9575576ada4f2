// The package from an ES module: named imports of the classes and their types.
import { Engine, ManualClock, type Deployment } from 'deploygov'

const engine = new Engine(':memory:', { clock: new ManualClock('2026-01-15T09:00:00Z') })
export const first: Promise<Deployment[]> = engine.pendingApprovals('p', { id: 'a' })
