import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, registerDecorator, ValidationOptions } from 'class-validator';
import { isMoment } from './dto-rules';

/** A real RFC 3339 moment (isMoment), not in the future (checked against the wall clock at validation). */
export function IsPastMoment(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isPastMoment',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an RFC 3339 moment that is not in the future`, ...options },
      validator: {
        validate: (value: unknown) => isMoment(value) && Date.parse(value) <= Date.now() + 1000,
      },
    });
}

/** Every view takes ?asOf= (as it stood then) and ?atLeast= (read your writes). */
export class ViewQueryDto {
  @ApiPropertyOptional({ description: 'RFC 3339 moment: the view as it stood then' })
  @IsOptional()
  @IsPastMoment()
  asOf?: string;

  @ApiPropertyOptional({ description: 'a position returned by a write' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,20}\.\d{1,20}$/, { message: 'atLeast must be a position returned by a write' })
  atLeast?: string;
}

/** A validated `asOf` as a Date (undefined when none was asked). */
export const asDate = (moment?: string): Date | undefined => (moment ? new Date(moment) : undefined);
