import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsDefined, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { IsCalendarDate, Reason, Trim } from '../../common/dto-rules';
import { ViewQueryDto } from '../../common/view-query';
import { ATTENDANCE_CODES, AttendanceCode, FINAL_VALUES, FinalValue, MarkValue, WORK_KINDS, WorkKind } from '../domain/journal.types';

const TEXT_MAX = 2000;

export class RecordLessonDto {
  @ApiProperty({ example: '2026-09-07' }) @IsCalendarDate() date!: string;
  @ApiProperty({ minimum: 1, maximum: 12 }) @IsInt() @Min(1) @Max(12) slot!: number;
  @ApiProperty() @Trim() @IsString() @IsNotEmpty() @MaxLength(TEXT_MAX) topic!: string;
  @ApiPropertyOptional({ enum: WORK_KINDS, isArray: true }) @IsOptional() @IsArray() @ArrayMaxSize(6) @IsIn(WORK_KINDS, { each: true }) workKinds?: WorkKind[];
  @ApiPropertyOptional({ nullable: true, description: 'null: «Не задано»' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @Trim()
  @IsString()
  @MaxLength(TEXT_MAX)
  homework?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') substitutesFor?: string;
}

export class CorrectLessonDto {
  @ApiProperty({ enum: ['topic', 'homework', 'workKinds'] }) @IsIn(['topic', 'homework', 'workKinds']) field!: 'topic' | 'homework' | 'workKinds';
  @ApiProperty({ description: 'topic: text; homework: text or null; workKinds: list' }) @IsDefined({ message: 'value is required (null only for homework)' }) value!: unknown;
  @ApiProperty() @Reason() reason!: string;
}

export class RecordMarkDto {
  @ApiProperty() @IsUUID('all') studentId!: string;
  @ApiProperty({ minimum: 1, maximum: 5 }) @IsInt({ message: 'value must be a whole number from 1 to 5' }) @Min(1) @Max(5) value!: MarkValue;
  @ApiProperty({ enum: WORK_KINDS }) @IsIn(WORK_KINDS) workKind!: WorkKind;
  @ApiPropertyOptional({ minimum: 1, maximum: 10, default: 1 }) @IsOptional() @IsInt() @Min(1) @Max(10) weight?: number;
}

export class CorrectMarkDto {
  @ApiProperty({ nullable: true, description: '1–5, or null to withdraw the mark' })
  @IsDefined({ message: 'value is required: 1–5, or null to withdraw' })
  @ValidateIf((_, value) => value !== null)
  @IsInt({ message: 'value must be a whole number from 1 to 5, or null' })
  @Min(1)
  @Max(5)
  value!: MarkValue | null;
  @ApiProperty() @Reason() reason!: string;
}

export class RecordAttendanceDto {
  @ApiProperty() @IsUUID('all') studentId!: string;
  @ApiProperty({ enum: ATTENDANCE_CODES }) @IsIn(ATTENDANCE_CODES) code!: AttendanceCode;
}

export class CorrectAttendanceDto {
  @ApiProperty({ nullable: true, enum: ATTENDANCE_CODES })
  @IsDefined({ message: 'code is required: Н, Б, У, or null to withdraw' })
  @ValidateIf((_, value) => value !== null)
  @IsIn(ATTENDANCE_CODES)
  code!: AttendanceCode | null;
  @ApiProperty() @Reason() reason!: string;
}

export class DailyAbsenceDto {
  @ApiProperty() @IsCalendarDate() date!: string;
  @ApiProperty() @IsUUID('all') studentId!: string;
  @ApiProperty({ enum: ATTENDANCE_CODES }) @IsIn(ATTENDANCE_CODES) code!: AttendanceCode;
}

export class FinalMarkDto {
  @ApiProperty() @IsUUID('all') periodId!: string;
  @ApiProperty() @IsUUID('all') studentId!: string;
  @ApiProperty({ enum: FINAL_VALUES }) @IsIn(FINAL_VALUES) value!: FinalValue;
  @ApiPropertyOptional() @IsOptional() @Reason() reason?: string;
}

export class LockDto {}

export class UnlockDto {
  @ApiProperty() @Reason() reason!: string;
}

export class PeriodViewQueryDto extends ViewQueryDto {
  @ApiProperty() @IsUUID('all') periodId!: string;
}

export class DiaryQueryDto extends ViewQueryDto {
  @ApiProperty({ example: '2026-09-07' }) @IsCalendarDate() weekOf!: string;
}
