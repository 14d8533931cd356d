import { Module } from '@nestjs/common';
import { ChangeRecorderModule } from '../snapshots/change-recorder.module';
import { UsageModule } from '../usage/usage.module';
import { GroupsController } from './groups.controller';
import { GroupsService } from './groups.service';

/** Groups and their members; their grants and limits live in PolicyModule. */
@Module({
  // UsageModule: SpendService, for the budgets' spend in the group detail.
  imports: [ChangeRecorderModule, UsageModule],
  controllers: [GroupsController],
  providers: [GroupsService],
})
export class GroupsModule {}
