import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsUUID } from 'class-validator';
import { IsCalendarDate } from '../../common/dto-rules';
import { ViewQueryDto } from '../../common/view-query';
import { ACKNOWLEDGEMENT_FORMS, AcknowledgementForm } from '../domain/acknowledgement.decider';
import { CONSENT_FORMS, ConsentForm } from '../domain/consent.decider';

export class RecordConsentDto {
  @ApiProperty() @IsUUID('all') parentId!: string;
  @ApiProperty() @IsUUID('all') studentId!: string;
  @ApiProperty({ description: 'true: consent granted; false: refused (or withdrawn, when it was granted)' }) @IsBoolean({ message: 'granted must be true or false' }) granted!: boolean;
  @ApiProperty({ enum: CONSENT_FORMS, description: 'paper: registered by the class teacher or a deputy; electronic: by the parent' })
  @IsIn(CONSENT_FORMS)
  form!: ConsentForm;
}

export class AcknowledgeDiaryDto {
  @ApiProperty({ example: '2026-09-11', description: 'the diary is read up to this date; its week is the one whose version is recorded' }) @IsCalendarDate() upTo!: string;
  @ApiPropertyOptional({ enum: ACKNOWLEDGEMENT_FORMS, description: 'electronic (a parent, the default) or paper (the class teacher only)' })
  @IsOptional()
  @IsIn(ACKNOWLEDGEMENT_FORMS)
  form?: AcknowledgementForm;
  @ApiPropertyOptional({ description: 'the parent who signed: needed from a class teacher when the student has several linked parents' })
  @IsOptional()
  @IsUUID('all')
  parentId?: string;
}

export class AcknowledgementsQueryDto extends ViewQueryDto {
  @ApiPropertyOptional({ example: '2026-09-11', description: 'default: today in the school' }) @IsOptional() @IsCalendarDate() upTo?: string;
}

export class ExtractQueryDto extends ViewQueryDto {
  @ApiProperty({ example: '2026-09-01' }) @IsCalendarDate() from!: string;
  @ApiProperty({ example: '2026-09-30' }) @IsCalendarDate() to!: string;
}
