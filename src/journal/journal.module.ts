import { Module } from '@nestjs/common';
import { EntityIndex } from './entity-index';
import { JOURNAL_HANDLERS } from './journal.commands';
import { JournalController } from './journal.controller';
import { JournalViews } from './journal-views';

@Module({
  controllers: [JournalController],
  providers: [EntityIndex, JournalViews, ...JOURNAL_HANDLERS],
  exports: [JournalViews],
})
export class JournalModule {}
