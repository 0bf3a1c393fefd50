import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { JournalModule } from '../journal/journal.module';
import { LedgerModule } from '../ledger/ledger.module';
import { ParentsModule } from '../parents/parents.module';
import { SecurityModule } from '../security/security.module';
import { PrintoutAttestation } from './printout-attestation';
import { ReportViews } from './report-views';
import { ReportsController } from './reports.controller';

/** Reports and documents (SPEC §7): built from the journal's views; printouts carry the ledger's checkpoint. */
@Module({
  imports: [AccountsModule, JournalModule, LedgerModule, ParentsModule, SecurityModule],
  controllers: [ReportsController],
  providers: [ReportViews, PrintoutAttestation],
})
export class ReportsModule {}
