import { Module } from '@nestjs/common';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { GatewayRedisUsers } from './gateway-redis-users';
import { GatewayTokenGuard } from './gateway-token.guard';
import { GatewayApiController, GatewaysController } from './gateways.controller';
import { GatewaysService } from './gateways.service';

/** Gateway registration, tokens, heartbeats, their Redis users and the snapshot they fetch. Exports nothing. */
@Module({
  imports: [SnapshotsModule],
  controllers: [GatewaysController, GatewayApiController],
  providers: [GatewaysService, GatewayTokenGuard, GatewayRedisUsers],
})
export class GatewaysModule {}
