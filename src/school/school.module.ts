import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { SchoolController } from './school.controller';
import { SCHOOL_HANDLERS } from './school.commands';

@Module({
  imports: [AccountsModule],
  controllers: [SchoolController],
  providers: [...SCHOOL_HANDLERS],
})
export class SchoolModule {}
