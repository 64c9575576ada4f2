// Starts the API: `DEPLOYGOV_DATABASE=gov.db PORT=3001 node dist/main.js`.

import 'reflect-metadata'
import type { INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { AppModule } from './app.module'
import type { DeploygovModuleOptions } from './deploygov.module'

export { AppModule } from './app.module'
export { DEPLOYGOV_ENGINE, DeploygovModule } from './deploygov.module'

export async function createApp(options: DeploygovModuleOptions): Promise<INestApplication> {
  return NestFactory.create(AppModule.forRoot(options), { logger: ['error', 'warn'] })
}

if (require.main === module) {
  const database = process.env.DEPLOYGOV_DATABASE ?? 'deploygov.db'
  const port = Number(process.env.PORT ?? 3001)
  createApp({ database })
    .then((app) => app.listen(port))
    .then(() => console.log(`deploygov JAPM API on http://localhost:${port}/api (database ${database})`))
    .catch((e: unknown) => {
      console.error(e)
      process.exit(1)
    })
}
