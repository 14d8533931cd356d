import { type DynamicModule, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { JobsService } from './jobs.service';

/**
 * BullMQ plumbing (global): `JobsService` for queues, workers and repeatable jobs. For a queue of your
 * own, `jobs.queue(name)` to add and `jobs.process(name, fn)` to work; `createJobsConnection` (in
 * jobs.connection.ts) if you need a raw connection.
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest modules are classes; forRoot is Nest's dynamic-module idiom.
export class JobsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: JobsModule,
      global: true,
      providers: [{ provide: APP_CONFIG, useValue: config }, JobsService],
      exports: [JobsService],
    };
  }
}
