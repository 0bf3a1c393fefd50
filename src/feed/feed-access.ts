import { Inject, Injectable } from '@nestjs/common';
import type { Role } from '../accounts/domain/roles';
import type { Authorized } from '../auth/access';
import { authorize, feedScope } from '../auth/domain/policy';
import { JwtStrategy } from '../auth/strategies';
import { CLOCK, Clock } from '../common/clock';
import type { HttpRequest } from '../common/http';
import { dateIn } from '../common/time-zone';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { journalStream } from '../journal/domain/journal.decider';
import { schoolDecider, schoolStream } from '../school/domain/school.decider';
import { FeedFilter } from './domain/feed';

/** Every period's journal of a group: `journal-<groupId>-<periodId>`. */
const journalsOf = (groupId: string) => journalStream(groupId, '');

/**
 * What of the feed a reader may see (policy.ts `feedScope`), at the start of a read and again and
 * again during an event stream: an answer that lasts for hours must stop when its token expires,
 * its account is blocked or its credentials reissued, or its rights change (a teacher's
 * assignment ends), as any request would be refused then.
 */
@Injectable()
export class FeedAccess {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly tokens: JwtStrategy,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The filter for a request the guard allowed, `types` added. */
  filterOf({ actor, principal, school, today }: Authorized, types?: ReadonlySet<string>): FeedFilter {
    const scope = feedScope(actor.role as Role, principal, school!, today);
    return { types, streamPrefixes: scope === 'school' ? undefined : scope.groups.map(journalsOf) };
  }

  /** The filter the reader has now, or null once it may read no more (token, account, rights). */
  async recheck(request: HttpRequest, schoolId: string, types?: ReadonlySet<string>): Promise<FeedFilter | null> {
    const claims = this.tokens.verifiedClaims(request);
    const principal = claims && (await this.tokens.principalFor(request, claims));
    if (!principal) return null;
    const { state: school } = await this.repository.read(schoolStream(schoolId), schoolDecider);
    const today = dateIn(school.timezone, this.clock.now());
    const decision = authorize(principal, 'feed.read', {}, school, today);
    if (!decision.allowed) return null;
    return this.filterOf({ principal, school, today, actor: { accountId: principal.accountId, role: decision.actingAs, generation: principal.generation } }, types);
  }
}
