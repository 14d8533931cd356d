import { Module } from '@nestjs/common';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { ProviderCredentialsController } from './provider-credentials.controller';
import { ProviderCredentialsService } from './provider-credentials.service';

/** Provider credentials, sealed at rest. Exports nothing. */
@Module({
  imports: [SnapshotsModule],
  controllers: [ProviderCredentialsController],
  providers: [ProviderCredentialsService],
})
export class ProvidersModule {}
