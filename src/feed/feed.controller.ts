import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Allow, Authorized, CurrentAccess } from '../auth/access';
import { validationFailed } from '../common/app-error';
import type { HttpReply, HttpRequest } from '../common/http';
import { parsePosition } from '../event-store/position';
import { ReadsViews } from '../operations/read-your-writes.guard';
import { FEED_START, FeedCursor, formatCursor, parseCursor } from './domain/feed';
import { FEED_DEFAULT_LIMIT, FeedQueryDto, typesOf } from './dto/feed.dto';
import { FeedAccess } from './feed-access';
import { FeedReader } from './feed-reader';
import { FeedStreams } from './feed-streams';

const wantsEventStream = (request: HttpRequest) => request.method === 'GET' && /\btext\/event-stream\b/i.test(request.headers.accept ?? '');

/** Where a read resumes: an EventSource's reconnect names its last id (newer than the URL's `after`). */
function resumeFrom(request: HttpRequest, after: string | undefined): FeedCursor {
  const lastEventId = request.headers['last-event-id'];
  if (typeof lastEventId === 'string' && lastEventId !== '' && wantsEventStream(request)) {
    const cursor = parseCursor(lastEventId);
    if (!cursor) throw validationFailed([{ field: 'Last-Event-ID', reason: 'must be the id of an event of this feed' }]);
    return cursor;
  }
  return after ? parseCursor(after)! : FEED_START;
}

/**
 * The change feed (issue 17 item 4, docs/api-extensions.md "Change feed"): the school's log for
 * other systems, as JSON lines (default) or Server-Sent Events (`Accept: text/event-stream`).
 */
@ApiTags('change feed')
@ApiBearerAuth()
@Controller('schools/:schoolId/feed')
export class FeedController {
  constructor(
    private readonly reader: FeedReader,
    private readonly access: FeedAccess,
    private readonly streams: FeedStreams,
  ) {}

  @Get()
  @Allow('feed.read')
  // The log itself, not a view: `atLeast` waits for the log's head instead.
  @ReadsViews()
  @ApiProduces('application/x-ndjson', 'text/event-stream')
  async read(@Param('schoolId') schoolId: string, @Query() query: FeedQueryDto, @CurrentAccess() access: Authorized, @Req() request: HttpRequest, @Res() reply: HttpReply) {
    const after = resumeFrom(request, query.after);
    const types = query.types ? new Set(typesOf(query.types)) : undefined;
    if (query.atLeast) await this.reader.reach(parsePosition(query.atLeast)!);
    const filter = this.access.filterOf(access, types);
    if (wantsEventStream(request)) return this.streams.serve(request, reply, schoolId, after, types, filter);
    const page = await this.reader.page(schoolId, after, query.limit ?? FEED_DEFAULT_LIMIT, filter);
    void reply
      .header('Content-Type', 'application/x-ndjson; charset=utf-8')
      .header('X-Feed-Cursor', page.cursor ?? formatCursor(after))
      .send(page.entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
  }
}
