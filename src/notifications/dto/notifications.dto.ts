import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsEmail, IsIn, IsInt, IsOptional, IsUUID, Matches, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { Trim } from '../../common/dto-rules';
import { CHANNELS, Channel, NEWS_KINDS, NewsKind } from '../domain/notification-settings.decider';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export class QuietHoursDto {
  @ApiPropertyOptional({ example: '21:00' }) @Matches(HHMM, { message: 'quietHours.from must be a time HH:MM' }) from!: string;
  @ApiPropertyOptional({ example: '08:00' }) @Matches(HHMM, { message: 'quietHours.to must be a time HH:MM' }) to!: string;
}

/** Fields left out keep their value; `null` clears a contact or the quiet hours. */
export class NotificationSettingsDto {
  @ApiPropertyOptional({ example: 'parent@example.ru', nullable: true })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @Trim()
  @IsEmail({}, { message: 'email must be an e-mail address' })
  email?: string | null;

  @ApiPropertyOptional({ example: '+79161234567', nullable: true, description: 'E.164: +, the country code, the number' })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @Matches(/^\+[1-9]\d{7,14}$/, { message: 'phone must be a mobile number in international form, say +79161234567' })
  phone?: string | null;

  @ApiPropertyOptional({ enum: CHANNELS, isArray: true, description: 'how to be told: e-mail, SMS, both, or none ([])' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(2)
  @IsIn(CHANNELS, { each: true, message: 'channels must hold only "email" and "sms"' })
  channels?: Channel[];

  @ApiPropertyOptional({ enum: NEWS_KINDS, isArray: true, description: 'what to be told of' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(3)
  @IsIn(NEWS_KINDS, { each: true, message: 'kinds must hold only "mark", "absence" and "final-mark"' })
  kinds?: NewsKind[];

  @ApiPropertyOptional({ type: QuietHoursDto, nullable: true, description: "no message between these local times (the school's time zone)" })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @ValidateNested()
  @Type(() => QuietHoursDto)
  quietHours?: QuietHoursDto | null;

  @ApiPropertyOptional({ description: 'one message a day at digestAt instead of one per event' })
  @IsOptional()
  @IsBoolean({ message: 'digest must be true or false' })
  digest?: boolean;

  @ApiPropertyOptional({ example: '19:00' })
  @IsOptional()
  @Matches(HHMM, { message: 'digestAt must be a time HH:MM' })
  digestAt?: string;
}

export class OutboxQueryDto {
  @ApiPropertyOptional() @IsOptional() @IsUUID('all') studentId?: string;
  @ApiPropertyOptional({ enum: ['pending', 'sent', 'failed', 'cancelled'] }) @IsOptional() @IsIn(['pending', 'sent', 'failed', 'cancelled']) state?: 'pending' | 'sent' | 'failed' | 'cancelled';
  @ApiPropertyOptional({ default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}
