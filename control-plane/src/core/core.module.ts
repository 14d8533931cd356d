import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { SecretBox } from '../crypto/secret-box';
import { dataSourceOptions } from '../database/data-source';
import { runMigrations } from '../database/migrate';
import { RedisService } from '../redis/redis.service';

/**
 * What every module may inject without importing anything: the config, the database (migrated before
 * anything uses it), `SecretBox` and the Redis connection. Global, and the only global module besides jobs.
 */
@Global()
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest modules are classes; forRoot is Nest's dynamic-module idiom.
export class CoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSourceOptions(config.DATABASE_URL), retryAttempts: 0 }),
          dataSourceFactory: async (options) => {
            if (!options) throw new Error('no data source options');
            const ds = await new DataSource(options).initialize();
            await runMigrations(ds);
            return ds;
          },
        }),
      ],
      providers: [{ provide: APP_CONFIG, useValue: config }, SecretBox, RedisService],
      exports: [APP_CONFIG, SecretBox, RedisService],
    };
  }
}
