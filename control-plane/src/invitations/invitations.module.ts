import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { InvitationMail } from './invitation-mail.service';
import { InvitationsController } from './invitations.controller';
import { InvitationsService } from './invitations.service';

/** Invitations and their mail. Exports nothing. */
@Module({
  imports: [SnapshotsModule, AuthModule],
  controllers: [InvitationsController],
  providers: [InvitationsService, InvitationMail],
})
export class InvitationsModule {}
