import { Module } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { UsageModule } from '../usage/usage.module';
import { GroupsController } from './groups.controller';
import { GroupsService } from './groups.service';

/** Groups and their members; their grants and limits live in PolicyModule. */
@Module({
  // UsageModule: SpendService, for the budgets' spend in the group detail.
  imports: [UsageModule],
  controllers: [GroupsController],
  // AuditService is stateless (the data source only): a private instance is harmless.
  providers: [AuditService, GroupsService],
})
export class GroupsModule {}
