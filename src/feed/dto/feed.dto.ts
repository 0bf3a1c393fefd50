import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy } from 'class-validator';
import { CURRENT_SCHEMA_VERSIONS } from '../../event-schemas';
import { parseCursor } from '../domain/feed';

/** The most entries one JSON-lines answer carries (`limit`), and how many when none is asked. */
export const FEED_MAX_LIMIT = 10_000;
export const FEED_DEFAULT_LIMIT = 1000;

const CURSOR_REASON = 'must be a cursor of this feed: a position (12.3) or a position and a change number (12.3:2)';
export const isFeedCursor = (value: unknown): boolean => typeof value === 'string' && parseCursor(value) !== null;

/** The event types `types` names, one by one (comma-separated). */
export const typesOf = (value: string): string[] => value.split(',').map((type) => type.trim());
const unknownTypes = (value: string) => typesOf(value).filter((type) => !Object.hasOwn(CURRENT_SCHEMA_VERSIONS, type));

export class FeedQueryDto {
  @ApiPropertyOptional({ description: 'resume after this cursor (an entry\'s `cursor`, the `X-Feed-Cursor` header, or a write\'s `position`); default: the beginning' })
  @IsOptional()
  @ValidateBy({ name: 'isFeedCursor', validator: { validate: isFeedCursor, defaultMessage: () => CURSOR_REASON } })
  after?: string;

  @ApiPropertyOptional({ description: 'comma-separated event types; a Void/Reinstated entry is kept when the type of the event it changes is' })
  @IsOptional()
  @IsString()
  @ValidateBy({
    name: 'isEventTypeList',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && value.length <= 2000 && unknownTypes(value).length === 0,
      defaultMessage: (args) => `names no event type of the log: ${typeof args?.value === 'string' ? unknownTypes(args.value).join(', ').slice(0, 200) : ''}`,
    },
  })
  types?: string;

  @ApiPropertyOptional({ maximum: FEED_MAX_LIMIT, default: FEED_DEFAULT_LIMIT, description: 'JSON lines: the most entries in one answer' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(FEED_MAX_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ description: 'a position returned by a write: answers once the log shows it' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,20}\.\d{1,20}$/, { message: 'atLeast must be a position returned by a write' })
  atLeast?: string;
}
