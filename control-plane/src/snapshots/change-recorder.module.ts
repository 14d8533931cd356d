import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ChangeRecorder } from './change-recorder';

/** `ChangeRecorder`: a change's audit records and its snapshot change, in the change's transaction. */
@Module({
  imports: [AuditModule],
  providers: [ChangeRecorder],
  exports: [ChangeRecorder],
})
export class ChangeRecorderModule {}
