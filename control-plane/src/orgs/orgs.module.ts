import { Module } from '@nestjs/common';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { OrgsController } from './orgs.controller';
import { OrgsService } from './orgs.service';

/** Organizations and memberships. Exports OrgsService (membership checks, a user's organizations). */
@Module({
  imports: [SnapshotsModule],
  controllers: [OrgsController],
  providers: [OrgsService],
  exports: [OrgsService],
})
export class OrgsModule {}
