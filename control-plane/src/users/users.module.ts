import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { KeysModule } from '../keys/keys.module';
import { PolicyModule } from '../policy/policy.module';
import { SnapshotsModule } from '../snapshots/snapshots.module';
import { UsageModule } from '../usage/usage.module';
import { MembersService } from './members.service';
import { UsersController } from './users.controller';

/** An organization's members: list, detail, role and status changes, removal. Exports nothing. */
@Module({
  imports: [SnapshotsModule, AuthModule, KeysModule, PolicyModule, UsageModule],
  controllers: [UsersController],
  providers: [MembersService],
})
export class UsersModule {}
