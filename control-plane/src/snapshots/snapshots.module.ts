import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ChangeRecorder } from './change-recorder';
import { SigningKeyService } from './signing-key.service';
import { SnapshotPublisher } from './snapshot-publisher';
import { SnapshotsService } from './snapshots.service';

/**
 * Gateway snapshots: `ChangeRecorder` (a change's audit records and snapshot change, in the change's
 * transaction), `SnapshotsService` (full snapshots and per-row changes), `SigningKeyService` (the
 * organization's snapshot keys) and the publisher to Redis, which nothing else touches.
 */
@Module({
  imports: [AuditModule],
  providers: [ChangeRecorder, SnapshotsService, SigningKeyService, SnapshotPublisher],
  exports: [ChangeRecorder, SnapshotsService, SigningKeyService],
})
export class SnapshotsModule {}
