import { Module } from '@nestjs/common';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { UsageModule } from '../usage/usage.module';
import { PolicyController } from './policy.controller';
import { PolicyService } from './policy.service';

/**
 * People's policy: model access grants, per-user and per-group limits and budgets, the organization's
 * settings, and effective policy views (computed by `effectivePolicy` in shared/policy.ts, the same
 * function the gateways enforce with). Exports PolicyService for keys, models and members.
 */
@Module({
  // UsageModule: SpendService, for the budgets' spend in the views.
  imports: [SnapshotsModule, UsageModule],
  controllers: [PolicyController],
  providers: [PolicyService],
  exports: [PolicyService],
})
export class PolicyModule {}
