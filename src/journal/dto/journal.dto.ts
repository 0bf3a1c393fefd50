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

/** A correction's `before`: the value the client saw; a stale one is refused with 409 CONCURRENT_MODIFICATION. */
const BEFORE = 'the value you saw (optional): if it is no longer the value, nothing is written and the answer is 409 CONCURRENT_MODIFICATION';

export class CorrectLessonDto {
  @ApiProperty({ enum: ['topic', 'homework', 'workKinds'] }) @IsIn(['topic', 'homework', 'workKinds']) field!: 'topic' | 'homework' | 'workKinds';
  // null is a value here (homework «Не задано»): only a missing value is refused at this stage.
  @ApiProperty({ nullable: true, description: 'topic: text; homework: text, or null for «Не задано»; workKinds: list' })
  @ValidateIf((_, value) => value === undefined)
  @IsDefined({ message: 'value is required (null only for homework)' })
  value!: unknown;
  @ApiProperty() @Reason() reason!: string;
  @ApiPropertyOptional({ nullable: true, description: `${BEFORE}; the same kind as value` }) @IsOptional() before?: unknown;
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
  @ApiPropertyOptional({ nullable: true, minimum: 1, maximum: 5, description: `${BEFORE}: 1–5, or null for a withdrawn mark` })
  @IsOptional()
  @IsInt({ message: 'before must be a whole number from 1 to 5, or null' })
  @Min(1)
  @Max(5)
  before?: MarkValue | null;
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
  @ApiPropertyOptional({ nullable: true, enum: ATTENDANCE_CODES, description: `${BEFORE}: a code, or null for none` }) @IsOptional() @IsIn(ATTENDANCE_CODES) before?: AttendanceCode | null;
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
  @ApiPropertyOptional({ nullable: true, enum: FINAL_VALUES, description: `${BEFORE}: the final mark as shown ("deferred" for a deferral), or null for none set yet` })
  @IsOptional()
  @IsIn(FINAL_VALUES)
  before?: FinalValue | null;
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
