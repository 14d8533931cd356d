import { Module } from '@nestjs/common';
import { ChangeRecorderModule } from '../snapshots/change-recorder.module';
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
  imports: [ChangeRecorderModule, UsageModule],
  controllers: [PolicyController],
  providers: [PolicyService],
  exports: [PolicyService],
})
export class PolicyModule {}
