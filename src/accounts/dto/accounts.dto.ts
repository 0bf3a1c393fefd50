import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { NAME_MAX, Trim } from '../../common/dto-rules';
import { IsTimeZone } from '../../common/time-zone';
import { SCHOOL_ROLES, SchoolRole } from '../domain/roles';

export class LoginDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(NAME_MAX) login!: string;
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(1000) password!: string;
}

export class CreateSchoolDto {
  @ApiProperty() @Trim() @IsString() @IsNotEmpty() @MaxLength(NAME_MAX) name!: string;
  @ApiPropertyOptional({ default: 'Europe/Moscow' }) @IsOptional() @IsString() @IsTimeZone() timezone?: string;
}

export class CreateAccountDto {
  @ApiProperty() @Trim() @IsString() @MinLength(3) @MaxLength(NAME_MAX) login!: string;
  @ApiProperty({ minLength: 10 }) @IsString() @MinLength(10, { message: 'password must be at least 10 characters' }) @MaxLength(1000) password!: string;
  @ApiProperty() @Trim() @IsString() @IsNotEmpty() @MaxLength(NAME_MAX) fullName!: string;
  @ApiProperty({ enum: SCHOOL_ROLES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCHOOL_ROLES.length)
  @IsIn(SCHOOL_ROLES, { each: true, message: `each role must be one of ${SCHOOL_ROLES.join(', ')}` })
  roles!: SchoolRole[];
}

export class InspectorGrantDto {
  @ApiProperty() @IsUUID('all') accountId!: string;
}

export class ReissueCredentialsDto {
  @ApiProperty({ minLength: 10 }) @IsString() @MinLength(10, { message: 'password must be at least 10 characters' }) @MaxLength(1000) password!: string;
}
