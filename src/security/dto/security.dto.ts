import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';
import { IsCalendarDate, IsMoment, Reason } from '../../common/dto-rules';
import { IsPastMoment, ViewQueryDto } from '../../common/view-query';

export class ReportIncidentDto {
  @ApiProperty() @IsUUID('all') accountId!: string;
  @ApiPropertyOptional({ description: 'when the information was received (default now; not in the future)' }) @IsOptional() @IsPastMoment() effectiveFrom?: string;
  @ApiPropertyOptional({ description: 'misuse suspected from (≤ effectiveFrom)' }) @IsOptional() @IsPastMoment() suspectedSince?: string;
  @ApiPropertyOptional() @IsOptional() @Reason('note') note?: string;
}

export class ReinstateDto {
  @ApiProperty() @IsUUID('all') eventId!: string;
  @ApiProperty() @Reason() reason!: string;
}

/** `?limit=&cursor=` on every list (API.md). */
export class ListQueryDto extends ViewQueryDto {
  @ApiPropertyOptional({ maximum: 500, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() cursor?: string;
}

export class CorrectionsAuditQueryDto extends ListQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') classId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') subjectId?: string;
  @ApiPropertyOptional({ description: 'who made the correction' }) @IsOptional() @IsUUID('all') teacherId?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') periodId?: string;
  @ApiPropertyOptional({ description: 'first day (YYYY-MM-DD, school-local), inclusive' }) @IsOptional() @IsCalendarDate() from?: string;
  @ApiPropertyOptional({ description: 'last day (YYYY-MM-DD, school-local), inclusive' }) @IsOptional() @IsCalendarDate() to?: string;
  @ApiPropertyOptional({ enum: ['true', 'false'] }) @IsOptional() @IsIn(['true', 'false'], { message: 'afterLock must be true or false' }) afterLock?: 'true' | 'false';
}

export class EventsAuditQueryDto extends ListQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') accountId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() type?: string;
  @ApiPropertyOptional({ description: 'RFC 3339 moment, inclusive' }) @IsOptional() @IsPastMoment() from?: string;
  @ApiPropertyOptional({ description: 'RFC 3339 moment, exclusive' }) @IsOptional() @IsMoment() to?: string;
}
