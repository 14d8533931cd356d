import { Module } from '@nestjs/common';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { UsageModule } from '../usage/usage.module';
import { GroupsController } from './groups.controller';
import { GroupsService } from './groups.service';

/** Groups and their members; their grants and limits live in PolicyModule. Exports nothing. */
@Module({
  // UsageModule: SpendService, for the budgets' spend in the group detail.
  imports: [SnapshotsModule, UsageModule],
  controllers: [GroupsController],
  providers: [GroupsService],
})
export class GroupsModule {}
