import { Module } from '@nestjs/common';
import { OrgsModule } from '../orgs/orgs.module';
import { AccountsService } from './accounts.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AuthPruning } from './auth-pruning';
import { SessionsService } from './sessions.service';

/**
 * Sign-in, sessions, accounts (a user's email and password) and their pruning. Exports `SessionsService`
 * (the global AuthGuard, members' removal), `AccountsService` and `AuthService` (invitations, bootstrap).
 */
@Module({
  imports: [OrgsModule],
  controllers: [AuthController],
  providers: [AccountsService, AuthService, SessionsService, AuthPruning],
  exports: [AccountsService, AuthService, SessionsService],
})
export class AuthModule {}
