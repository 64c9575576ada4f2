import { type DynamicModule, Module } from '@nestjs/common'
import { APP_FILTER } from '@nestjs/core'
import { DeploygovExceptionFilter } from './deploygov-exception.filter'
import { DeploygovModule, type DeploygovModuleOptions } from './deploygov.module'
import { DeploymentsController } from './deployments.controller'

@Module({})
export class AppModule {
  static forRoot(options: DeploygovModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [DeploygovModule.forRoot(options)],
      controllers: [DeploymentsController],
      providers: [{ provide: APP_FILTER, useClass: DeploygovExceptionFilter }],
    }
  }
}
