import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuditModule } from './audit/audit.module';
import { AuthGuard } from './auth/auth.guard';
import { AuthModule } from './auth/auth.module';
import { BootstrapModule } from './bootstrap/bootstrap.module';
import { BudgetsModule } from './budgets/budgets.module';
import { AllExceptionsFilter } from './common/errors/exception.filter';
import type { AppConfig } from './config/config';
import { CoreModule } from './core/core.module';
import { GatewaysModule } from './gateways/gateways.module';
import { GroupsModule } from './groups/groups.module';
import { HealthModule } from './health/health.module';
import { InvitationsModule } from './invitations/invitations.module';
import { JobsModule } from './jobs/jobs.module';
import { KeysModule } from './keys/keys.module';
import { McpModule } from './mcp/mcp.module';
import { ModelsModule } from './models/models.module';
import { OrgsModule } from './orgs/orgs.module';
import { PolicyModule } from './policy/policy.module';
import { ProvidersModule } from './providers/providers.module';
import { SnapshotsModule } from './snapshots/snapshots.module';
import { UsageModule } from './usage/usage.module';
import { UsersModule } from './users/users.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/**
 * The control plane: one module per concept over CoreModule (global). Imports only point down:
 * core ← audit ← snapshots ← policy ← the resource modules; usage needs core alone.
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest modules are classes; forRoot is Nest's dynamic-module idiom.
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        JobsModule.forRoot(config),
        AuditModule,
        SnapshotsModule,
        UsageModule,
        PolicyModule,
        OrgsModule,
        AuthModule,
        UsersModule,
        InvitationsModule,
        GroupsModule,
        KeysModule,
        ProvidersModule,
        ModelsModule,
        McpModule,
        GatewaysModule,
        WebhooksModule,
        BudgetsModule,
        HealthModule,
        BootstrapModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
