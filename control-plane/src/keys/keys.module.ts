import { Module } from '@nestjs/common';
import { OrgsModule } from '../orgs/orgs.module';
import { PolicyModule } from '../policy/policy.module';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { UsageModule } from '../usage/usage.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { EphemeralTokensService } from './ephemeral-tokens.service';
import { KeyExpirySweep } from './key-expiry-sweep';
import { KeyLookup } from './key-lookup';
import { KeysController } from './keys.controller';
import { KeysService } from './keys.service';
import { KeysQueryService } from './keys-query.service';

/**
 * API keys: lifecycle (`KeysService`), lists and detail (`KeysQueryService`), ephemeral tokens and the
 * expiry sweep. Exports `KeysQueryService` (a member's keys in their detail).
 */
@Module({
  // OrgsModule: owners must be members. PolicyModule: the effective policy in the detail. UsageModule:
  // the budgets' spend. WebhooksModule: `key.expired` events.
  imports: [SnapshotsModule, OrgsModule, PolicyModule, UsageModule, WebhooksModule],
  controllers: [KeysController],
  providers: [KeyLookup, KeysService, KeysQueryService, EphemeralTokensService, KeyExpirySweep],
  exports: [KeysQueryService],
})
export class KeysModule {}
