import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsUUID, Max, Min, IsOptional } from 'class-validator';
import { ViewQueryDto } from '../../common/view-query';

/** The ledger is no view: only ?atLeast= (which waits for no view here) is taken beside a route's own fields. */
export class LedgerQueryDto extends PickType(ViewQueryDto, ['atLeast'] as const) {}

const MAX_SIZE = Number.MAX_SAFE_INTEGER;

export class InclusionQueryDto extends LedgerQueryDto {
  @ApiProperty() @IsUUID('all') eventId!: string;
  @ApiPropertyOptional({ description: 'the tree to prove inclusion in (default: the latest checkpoint)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'treeSize must be a whole number' })
  @Min(1)
  @Max(MAX_SIZE)
  treeSize?: number;
}

export class ConsistencyQueryDto extends LedgerQueryDto {
  @ApiProperty() @Type(() => Number) @IsInt({ message: 'from must be a whole number' }) @Min(1) @Max(MAX_SIZE) from!: number;
  @ApiProperty() @Type(() => Number) @IsInt({ message: 'to must be a whole number' }) @Min(1) @Max(MAX_SIZE) to!: number;
}

export class CheckpointsQueryDto extends LedgerQueryDto {
  @ApiPropertyOptional({ description: 'checkpoints of this size and larger', default: 0 }) @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(MAX_SIZE) from?: number;
  @ApiPropertyOptional({ maximum: 500, default: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}
