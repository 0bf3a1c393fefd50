import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { SECURITY_HANDLERS } from './security.commands';
import { SecurityController } from './security.controller';
import { SecurityViews } from './security-views';
import { VoidingFilter } from './voiding-filter';

/** Credential compromise (report, block, void, review, reinstate) and the audit views (SPEC §4, §6). */
@Module({
  imports: [AccountsModule],
  controllers: [SecurityController],
  providers: [SecurityViews, VoidingFilter, ...SECURITY_HANDLERS],
  exports: [VoidingFilter],
})
export class SecurityModule {}
