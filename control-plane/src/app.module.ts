import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditController } from './audit/audit.controller';
import { AuditModule } from './audit/audit.module';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { AuthService } from './auth/auth.service';
import { SessionsService } from './auth/sessions.service';
import { BootstrapService } from './bootstrap/bootstrap.service';
import { BudgetsModule } from './budgets/budgets.module';
import { AllExceptionsFilter } from './common/errors/exception.filter';
import { APP_CONFIG, type AppConfig } from './config/config';
import { SecretBox } from './crypto/secret-box';
import { dataSourceOptions } from './database/data-source';
import { runMigrations } from './database/migrate';
import { GatewayRedisUsers } from './gateways/gateway-redis-users';
import { GatewayTokenGuard } from './gateways/gateway-token.guard';
import { GatewayApiController, GatewaysController } from './gateways/gateways.controller';
import { GatewaysService } from './gateways/gateways.service';
import { GroupsModule } from './groups/groups.module';
import { HealthController } from './health/health.controller';
import { OpsServer } from './health/ops-server';
import { InvitationMail } from './invitations/invitation-mail.service';
import { InvitationsController } from './invitations/invitations.controller';
import { InvitationsService } from './invitations/invitations.service';
import { AuthPruning } from './jobs/auth-pruning';
import { JobsModule } from './jobs/jobs.module';
import { KeyExpirySweep } from './keys/key-expiry-sweep';
import { KeysController } from './keys/keys.controller';
import { KeysService } from './keys/keys.service';
import { McpServersController } from './mcp/mcp-servers.controller';
import { McpServersService } from './mcp/mcp-servers.service';
import { ModelsController } from './models/models.controller';
import { ModelsService } from './models/models.service';
import { OrgsController } from './orgs/orgs.controller';
import { OrgsService } from './orgs/orgs.service';
import { PolicyModule } from './policy/policy.module';
import { ProviderCredentialsController } from './providers/provider-credentials.controller';
import { ProviderCredentialsService } from './providers/provider-credentials.service';
import { RedisService } from './redis/redis.service';
import { ChangeRecorderModule } from './snapshots/change-recorder.module';
import { SigningKeyService } from './snapshots/signing-key.service';
import { SnapshotPublisher } from './snapshots/snapshot-publisher';
import { SnapshotsService } from './snapshots/snapshots.service';
import { UsageController } from './usage/usage.controller';
import { UsageModule } from './usage/usage.module';
import { UsageService } from './usage/usage.service';
import { UsageConsumer } from './usage/usage-consumer';
import { UsageGroupResolver } from './usage/usage-group-resolver';
import { UsageJobs } from './usage/usage-jobs';
import { UsageSignatureVerifier } from './usage/usage-signature';
import { UsageWriter } from './usage/usage-writer';
import { MembersService } from './users/members.service';
import { UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';
import { WebhooksModule } from './webhooks/webhooks.module';

/** The control plane. Modules per concept arrive as they grow; for now one module wires them. */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest modules are classes; forRoot is Nest's dynamic-module idiom.
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
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
        AuditModule,
        ChangeRecorderModule,
        JobsModule.forRoot(config),
        WebhooksModule.forRoot(config),
        BudgetsModule,
        UsageModule,
        PolicyModule,
        GroupsModule,
      ],
      controllers: [
        HealthController,
        AuthController,
        OrgsController,
        UsersController,
        InvitationsController,
        KeysController,
        ProviderCredentialsController,
        ModelsController,
        McpServersController,
        GatewaysController,
        GatewayApiController,
        AuditController,
        UsageController,
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        SessionsService,
        AuthService,
        UsersService,
        OrgsService,
        InvitationsService,
        InvitationMail,
        MembersService,
        SecretBox,
        RedisService,
        SnapshotsService,
        SigningKeyService,
        SnapshotPublisher,
        KeysService,
        ProviderCredentialsService,
        ModelsService,
        McpServersService,
        GatewaysService,
        GatewayTokenGuard,
        GatewayRedisUsers,
        BootstrapService,
        UsageWriter,
        UsageConsumer,
        UsageSignatureVerifier,
        UsageJobs,
        KeyExpirySweep,
        UsageService,
        UsageGroupResolver,
        OpsServer,
        AuthPruning,
      ],
    };
  }
}
