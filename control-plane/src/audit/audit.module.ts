import { Module } from '@nestjs/common';
import { AuditService } from './audit.service';

/** The organization's hash-chained audit log: one AuditService for every module that appends or reads it. */
@Module({
  providers: [AuditService],
  exports: [AuditService],
})
export class AuditModule {}
