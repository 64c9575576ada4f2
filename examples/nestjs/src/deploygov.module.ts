// `DeploygovModule.forRoot({ database })`: one deploygov engine for the whole application,
// opened off the event loop at start-up and injectable anywhere with `@InjectEngine()`.

import { DynamicModule, Global, Inject, Module } from '@nestjs/common'
import { Engine, type EngineOptions, type Executor } from 'deploygov'

/** The injection token of the `Engine`. */
export const DEPLOYGOV_ENGINE = Symbol('DEPLOYGOV_ENGINE')
/** The injection token of the module's options. */
export const DEPLOYGOV_OPTIONS = Symbol('DEPLOYGOV_OPTIONS')

export interface DeploygovModuleOptions {
  /** The SQLite file (created if missing), or `:memory:`. */
  database: string
  /** Engine options: a manual clock for tests, the callback timeout. */
  engine?: EngineOptions
  /**
   * What makes a version live somewhere real (reload a prompt cache, switch a model alias); it
   * may be async, and a throw or rejection fails the item (the others are reverted). Default:
   * only deploygov's active state moves; services read it with `activeVersionSync`.
   */
  executor?: Executor
}

/** Injects the application's `Engine`. */
export const InjectEngine = (): PropertyDecorator & ParameterDecorator => Inject(DEPLOYGOV_ENGINE)
/** Injects the module's options (for the executor). */
export const InjectDeploygovOptions = (): PropertyDecorator & ParameterDecorator => Inject(DEPLOYGOV_OPTIONS)

@Global()
@Module({})
export class DeploygovModule {
  static forRoot(options: DeploygovModuleOptions): DynamicModule {
    return {
      module: DeploygovModule,
      global: true,
      providers: [
        { provide: DEPLOYGOV_OPTIONS, useValue: options },
        { provide: DEPLOYGOV_ENGINE, useFactory: (): Promise<Engine> => Engine.open(options.database, options.engine) },
      ],
      exports: [DEPLOYGOV_ENGINE, DEPLOYGOV_OPTIONS],
    }
  }
}
