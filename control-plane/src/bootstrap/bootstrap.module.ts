import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { OrgsModule } from '../orgs/orgs.module';
import { BootstrapService } from './bootstrap.service';

/** The first start's organization and admin. Exports nothing. */
@Module({
  imports: [AuthModule, OrgsModule],
  providers: [BootstrapService],
})
export class BootstrapModule {}
