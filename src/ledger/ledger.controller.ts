import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Allow, Public } from '../auth/access';
import { AppError } from '../common/app-error';
import { HttpReply, HttpRequest } from '../common/http';
import { ReadsViews } from '../operations/read-your-writes.guard';
import { parseTileIndexPath } from './domain/tiles';
import { CheckpointsQueryDto, ConsistencyQueryDto, InclusionQueryDto, LedgerQueryDto } from './dto/ledger.dto';
import { LEDGER_VKEY } from './ledger.keys';
import { LedgerProofs } from './ledger-proofs';

const notFound = (what: string) => new AppError(404, 'NOT_FOUND', what);

/**
 * A text answer. The type is set once the text is in hand, not by @Header: an error answered on a
 * route whose type was set beforehand would be JSON sent as text/plain, which Fastify refuses (500).
 */
function plainText(reply: HttpReply, text: string, cache = 'no-cache'): string {
  void reply.header('Content-Type', 'text/plain; charset=utf-8').header('Cache-Control', cache);
  return text;
}

/** `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, as C2SP tlog-tiles spells them. */
function parseTilePath(path: string): { level: number | 'entries'; index: number; width?: number } | null {
  const match = /^(entries|0|[1-9]\d?)\/((?:x\d{3}\/)*\d{3})(?:\.p\/([1-9]\d{0,2}))?$/.exec(path);
  if (!match) return null;
  const index = parseTileIndexPath(match[2]);
  const width = match[3] === undefined ? undefined : Number(match[3]);
  if (index === null || (width !== undefined && width > 255) || (match[1] !== 'entries' && Number(match[1]) > 63)) return null;
  return { level: match[1] === 'entries' ? 'entries' : Number(match[1]), index, width };
}

/**
 * The audit ledger, open to anyone (API.md: `/ledger/*` needs no token): checkpoints, the key that
 * signs them, tiles, proofs and receipts carry hashes and sizes only, never an entry's content.
 * `/api/v1/ledger` is a C2SP tlog-tiles prefix (`checkpoint`, `tile/…`).
 */
@ApiTags('audit ledger')
@Public()
@Controller('ledger')
export class LedgerController {
  constructor(
    private readonly proofs: LedgerProofs,
    @Inject(LEDGER_VKEY) private readonly vkey: string,
  ) {}

  @Get('checkpoint')
  @ReadsViews()
  async checkpoint(@Res({ passthrough: true }) reply: HttpReply, @Query() _query: LedgerQueryDto): Promise<string> {
    const checkpoint = await this.proofs.latestCheckpoint();
    if (!checkpoint) throw new AppError(503, 'NOT_YET_CONSISTENT', 'The ledger has no signed checkpoint yet. Try again in a few seconds.', [], { 'Retry-After': '2' });
    return plainText(reply, checkpoint.note);
  }

  @Get('checkpoints')
  @ReadsViews()
  async checkpoints(@Query() query: CheckpointsQueryDto) {
    const items = await this.proofs.checkpoints(query.from ?? 0, query.limit ?? 100);
    return { items: items.map((c) => ({ size: c.size, rootHash: c.root.toString('base64'), signedAt: c.signedAt, note: c.note })) };
  }

  @Get('key')
  @ReadsViews()
  key(@Res({ passthrough: true }) reply: HttpReply, @Query() _query: LedgerQueryDto): string {
    return plainText(reply, `${this.vkey}\n`, 'public, max-age=300');
  }

  @Get('proofs/inclusion')
  @ReadsViews()
  inclusion(@Query() query: InclusionQueryDto) {
    return this.proofs.inclusion(query.eventId, query.treeSize);
  }

  @Get('proofs/consistency')
  @ReadsViews()
  consistency(@Query() query: ConsistencyQueryDto) {
    return this.proofs.consistency(query.from, query.to);
  }

  @Get('receipts/:eventId')
  @ReadsViews()
  async receipt(@Param('eventId') eventId: string, @Res({ passthrough: true }) reply: HttpReply, @Query() _query: LedgerQueryDto): Promise<string> {
    if (!isUUID(eventId, 'all')) throw new AppError(400, 'VALIDATION_FAILED', 'eventId must be a UUID.', [{ field: 'eventId', reason: 'must be a UUID' }]);
    return plainText(reply, await this.proofs.receipt(eventId));
  }

  @Get('tile/*')
  @ReadsViews()
  async tile(@Req() request: HttpRequest, @Res({ passthrough: true }) reply: HttpReply, @Query() _query: LedgerQueryDto): Promise<Buffer> {
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const tile = parseTilePath(params['*'] ?? params.path ?? '');
    if (!tile) throw notFound('There is no such tile: tiles are tile/<L>/<N>[.p/<W>] as C2SP tlog-tiles spells them.');
    if (tile.level === 'entries') throw notFound('Entry bundles are at tile/entries/<N>, for those who may read them.');
    const hashes = await this.proofs.tile(tile.level, tile.index, tile.width);
    if (!hashes) throw notFound('The ledger has no such tile (yet).');
    void reply.header('Content-Type', 'application/octet-stream').header('Cache-Control', 'public, max-age=31536000, immutable');
    return hashes;
  }
}

/**
 * Entry bundles (C2SP tlog-tiles `tile/entries/<N>[.p/<W>]`) hold the events themselves, so unlike
 * the rest of the ledger they need a token, and a role that may read every school's events.
 */
@ApiTags('audit ledger')
@ApiBearerAuth()
@Controller('ledger/tile/entries')
export class LedgerEntriesController {
  constructor(private readonly proofs: LedgerProofs) {}

  @Get('*')
  @Allow('ledger.entries')
  @ReadsViews()
  async entries(@Req() request: HttpRequest, @Res({ passthrough: true }) reply: HttpReply, @Query() _query: LedgerQueryDto): Promise<Buffer> {
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const tile = parseTilePath(`entries/${params['*'] ?? ''}`);
    if (!tile) throw notFound('There is no such entry bundle: they are tile/entries/<N>[.p/<W>] as C2SP tlog-tiles spells them.');
    const bundle = await this.proofs.entryBundle(tile.index, tile.width);
    if (!bundle) throw notFound('The ledger has no such entry bundle (yet).');
    void reply.header('Content-Type', 'application/octet-stream').header('Cache-Control', 'private, max-age=31536000, immutable');
    return bundle;
  }
}
