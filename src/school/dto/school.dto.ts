import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsCalendarDate, NAME_MAX, Reason, Trim } from '../../common/dto-rules';

export class PeriodDto {
  @ApiProperty() @Trim() @IsString() @IsNotEmpty() @MaxLength(NAME_MAX) name!: string;
  @ApiProperty({ example: '2026-09-01' }) @IsCalendarDate() startsOn!: string;
  @ApiProperty({ example: '2026-10-25' }) @IsCalendarDate() endsOn!: string;
}

export class HolidayDto {
  @ApiProperty() @IsCalendarDate() startsOn!: string;
  @ApiProperty() @IsCalendarDate() endsOn!: string;
}

export class CreateYearDto {
  @ApiProperty() @Trim() @IsString() @IsNotEmpty() @MaxLength(NAME_MAX) name!: string;
  @ApiProperty() @IsCalendarDate() startsOn!: string;
  @ApiProperty() @IsCalendarDate() endsOn!: string;
  @ApiProperty({ type: [PeriodDto] }) @IsArray() @ArrayMinSize(1) @ArrayMaxSize(12) @ValidateNested({ each: true }) @Type(() => PeriodDto) periods!: PeriodDto[];
  @ApiPropertyOptional({ type: [HolidayDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => HolidayDto)
  holidays?: HolidayDto[];
}

export class CreateSubjectDto {
  @ApiProperty() @Trim() @IsString() @IsNotEmpty() @MaxLength(NAME_MAX) name!: string;
}

export class CreateClassDto {
  @ApiProperty() @IsUUID('all') yearId!: string;
  @ApiProperty() @Trim() @IsString() @IsNotEmpty() @MaxLength(NAME_MAX) name!: string;
  @ApiProperty() @IsUUID('all') classTeacherId!: string;
}

export class AdmitStudentDto {
  @ApiProperty() @Trim() @IsString() @IsNotEmpty() @MaxLength(NAME_MAX) fullName!: string;
  @ApiProperty() @IsUUID('all') classId!: string;
  @ApiPropertyOptional() @IsOptional() @IsCalendarDate() birthDate?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') accountId?: string;
}

export class TransferStudentDto {
  @ApiProperty() @IsUUID('all') toClassId!: string;
  @ApiProperty() @IsCalendarDate() on!: string;
}

export class CreateGroupDto {
  @ApiProperty() @IsUUID('all') classId!: string;
  @ApiProperty() @IsUUID('all') subjectId!: string;
  @ApiPropertyOptional() @IsOptional() @Trim() @IsString() @IsNotEmpty() @MaxLength(NAME_MAX) name?: string;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(500) @IsUUID('all', { each: true }) studentIds?: string[];
}

export class AssignTeacherDto {
  @ApiProperty() @IsUUID('all') teacherId!: string;
  @ApiProperty() @IsUUID('all') groupId!: string;
}

export class LinkParentDto {
  @ApiProperty() @IsUUID('all') parentId!: string;
  @ApiProperty() @IsUUID('all') studentId!: string;
}

export class SchoolSettingsDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 20, description: 'fewer marks than this in a period → suggested Н/А (default 3)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  minMarksForAttestation?: number;
}

/** Extension of API.md (docs/api-extensions.md, issue 12): a substitution the deputy registers (seed 003). */
export class RegisterSubstitutionDto {
  @ApiProperty() @IsUUID('all') groupId!: string;
  @ApiProperty({ example: '2026-09-08' }) @IsCalendarDate() date!: string;
  @ApiProperty({ description: 'the substitute: a teacher of this school' }) @IsUUID('all') teacherId!: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 12, description: 'left out: every lesson of the group that day' }) @IsOptional() @IsInt() @Min(1) @Max(12) slot?: number;
  @ApiPropertyOptional() @IsOptional() @Reason() reason?: string;
}

export class EndAssignmentDto {
  @ApiPropertyOptional({ example: '2026-09-11', description: 'the first day the assignment gives no access; default: the school’s today' })
  @IsOptional()
  @IsCalendarDate()
  on?: string;
  @ApiProperty() @Reason() reason!: string;
}

export class ChangeClassTeacherDto {
  @ApiProperty() @IsUUID('all') teacherId!: string;
  @ApiProperty({ example: '2026-09-21', description: 'the class teacher from that date on' }) @IsCalendarDate() on!: string;
}

/** Ends a parent link or an inspector grant at once. */
export class EndAccessDto {
  @ApiProperty() @Reason() reason!: string;
}
