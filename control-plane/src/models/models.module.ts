import { Module } from '@nestjs/common';
import { PolicyModule } from '../policy/policy.module';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { ModelsController } from './models.controller';
import { ModelsService } from './models.service';

/** The organization's model catalog. Exports nothing. */
@Module({
  // PolicyModule: what a member's grants let them see of the catalog.
  imports: [SnapshotsModule, PolicyModule],
  controllers: [ModelsController],
  providers: [ModelsService],
})
export class ModelsModule {}
