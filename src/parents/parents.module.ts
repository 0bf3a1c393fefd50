import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { JournalModule } from '../journal/journal.module';
import { SecurityModule } from '../security/security.module';
import { PARENTS_HANDLERS } from './parents.commands';
import { ParentsController } from './parents.controller';
import { ParentsViews } from './parents-views';

@Module({
  imports: [AccountsModule, JournalModule, SecurityModule],
  controllers: [ParentsController],
  providers: [ParentsViews, ...PARENTS_HANDLERS],
  exports: [ParentsViews],
})
export class ParentsModule {}
