import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { NAME_MAX, Reason, Trim } from '../../common/dto-rules';
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

/** A list of a school's roles: at least one, each known. */
const SchoolRoles = () => (target: object, key: string) => {
  ApiProperty({ enum: SCHOOL_ROLES, isArray: true })(target, key);
  IsArray()(target, key);
  ArrayMinSize(1)(target, key);
  ArrayMaxSize(SCHOOL_ROLES.length)(target, key);
  IsIn(SCHOOL_ROLES, { each: true, message: `each role must be one of ${SCHOOL_ROLES.join(', ')}` })(target, key);
};

export class CreateAccountDto {
  @ApiProperty() @Trim() @IsString() @MinLength(3) @MaxLength(NAME_MAX) login!: string;
  @ApiProperty({ minLength: 10 }) @IsString() @MinLength(10, { message: 'password must be at least 10 characters' }) @MaxLength(1000) password!: string;
  @ApiProperty() @Trim() @IsString() @IsNotEmpty() @MaxLength(NAME_MAX) fullName!: string;
  @SchoolRoles() roles!: SchoolRole[];
}

/** Extension of API.md (docs/api-extensions.md, issue 12): the account's roles become exactly these. */
export class ChangeRolesDto {
  @SchoolRoles() roles!: SchoolRole[];
  @ApiProperty() @Reason() reason!: string;
}

export class InspectorGrantDto {
  @ApiProperty() @IsUUID('all') accountId!: string;
}

export class ReissueCredentialsDto {
  @ApiProperty({ minLength: 10 }) @IsString() @MinLength(10, { message: 'password must be at least 10 characters' }) @MaxLength(1000) password!: string;
}
