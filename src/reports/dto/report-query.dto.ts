import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { IsCalendarDate } from '../../common/dto-rules';
import { ViewQueryDto } from '../../common/view-query';
import { REPORT_FORMATS, ReportFormat } from '../formats/report-document';

/** Every report takes `?format=` (else the Accept header, else JSON), `?asOf=` and `?atLeast=`. */
export class ReportQueryDto extends ViewQueryDto {
  @ApiPropertyOptional({ enum: REPORT_FORMATS })
  @IsOptional()
  @IsIn(REPORT_FORMATS, { message: `format must be one of ${REPORT_FORMATS.join(', ')}` })
  format?: ReportFormat;

  @ApiPropertyOptional({ enum: ['semicolon', 'comma', 'tab'], description: 'CSV only; default REPORT_CSV_DELIMITER (semicolon)' })
  @IsOptional()
  @IsIn(['semicolon', 'comma', 'tab'], { message: 'delimiter must be semicolon, comma or tab' })
  delimiter?: 'semicolon' | 'comma' | 'tab';
}

export class PeriodReportQueryDto extends ReportQueryDto {
  @ApiProperty() @IsUUID('all') periodId!: string;
}

/** A period, or a range of dates (`from`, `to`, inclusive) inside the class's school year. */
export class RangeReportQueryDto extends ReportQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') periodId?: string;
  @ApiPropertyOptional({ example: '2026-09-01' }) @IsOptional() @IsCalendarDate() from?: string;
  @ApiPropertyOptional({ example: '2026-10-25' }) @IsOptional() @IsCalendarDate() to?: string;
}

export class FillingReportQueryDto extends PeriodReportQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') groupId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') teacherId?: string;
}

export class ExtractReportQueryDto extends ReportQueryDto {
  @ApiProperty({ example: '2026-09-01' }) @IsCalendarDate() from!: string;
  @ApiProperty({ example: '2026-09-30' }) @IsCalendarDate() to!: string;
}

/** The whole school's journals as CSV: all years' classes, or one year's. */
export class SchoolJournalQueryDto extends ViewQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') yearId?: string;

  @ApiPropertyOptional({ enum: ['semicolon', 'comma', 'tab'] })
  @IsOptional()
  @IsIn(['semicolon', 'comma', 'tab'], { message: 'delimiter must be semicolon, comma or tab' })
  delimiter?: 'semicolon' | 'comma' | 'tab';
}
