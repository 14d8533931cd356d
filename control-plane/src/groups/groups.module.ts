import { Module } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { GroupsController } from './groups.controller';
import { GroupsService } from './groups.service';

/** Groups and their members; their grants and limits live in PolicyModule. */
@Module({
  controllers: [GroupsController],
  // AuditService is stateless (the data source only): a private instance is harmless.
  providers: [AuditService, GroupsService],
})
export class GroupsModule {}
