import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { JOURNAL_HANDLERS } from './journal.commands';
import { JournalController } from './journal.controller';
import { JournalViews } from './journal-views';

@Module({
  imports: [AccountsModule],
  controllers: [JournalController],
  providers: [JournalViews, ...JOURNAL_HANDLERS],
  exports: [JournalViews],
})
export class JournalModule {}
