import { Module } from '@nestjs/common';
import { AccountDirectory } from './account-directory';
import { ACCOUNT_HANDLERS } from './accounts.commands';
import { AccountsController } from './accounts.controller';
import { AdminBootstrap } from './admin-bootstrap';

@Module({
  controllers: [AccountsController],
  providers: [AccountDirectory, AdminBootstrap, ...ACCOUNT_HANDLERS],
  exports: [AccountDirectory, AdminBootstrap],
})
export class AccountsModule {}
