import { Module } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { UsageModule } from '../usage/usage.module';
import { PolicyController } from './policy.controller';
import { PolicyService } from './policy.service';

/**
 * People's policy: model access grants, per-user and per-group limits and budgets, the organization's
 * settings, and effective policy views (computed by `effectivePolicy` in shared/policy.ts, the same
 * function the gateways enforce with). Exports PolicyService for user detail and deletion.
 */
@Module({
  // UsageModule: SpendService, for the budgets' spend in the views.
  imports: [UsageModule],
  controllers: [PolicyController],
  // AuditService is stateless (the data source only): a private instance is harmless.
  providers: [AuditService, PolicyService],
  exports: [PolicyService],
})
export class PolicyModule {}
