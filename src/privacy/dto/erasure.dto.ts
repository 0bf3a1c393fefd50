import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString } from 'class-validator';
import { ERASURE_BASES, ErasureBasis } from '../domain/personal-fields';

/** Why a person's data is erased: one of a fixed list, so no free text about them enters the log with it. */
export class ErasureDto {
  @ApiProperty({ enum: ERASURE_BASES })
  @IsString()
  @IsIn(ERASURE_BASES, { message: `basis must be one of ${ERASURE_BASES.join(', ')}` })
  basis!: ErasureBasis;
}
