import { Module } from '@nestjs/common';
import { ErasePersonalDataHandler } from './erasure.commands';
import { PrivacyController } from './privacy.controller';

/** Erasure of a person's data (152-ФЗ); the vault and the sealing stores are the infrastructure's. */
@Module({
  controllers: [PrivacyController],
  providers: [ErasePersonalDataHandler],
})
export class PrivacyModule {}
