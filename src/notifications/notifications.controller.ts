import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import type { HttpRequest as Request } from '../common/http';
import { Allow, Authorized, CurrentAccess, str } from '../auth/access';
import { notFound } from '../common/domain-error';
import { CorrelationId, Ids, WriteAnswer } from '../common/write-answer';
import { OperationIds } from '../event-store/operation-ids';
import { ReadsViews } from '../operations/read-your-writes.guard';
import { WriteRoute } from '../operations/write-route';
import { defaultSettings } from './domain/notification-settings.decider';
import { isParentInSchool } from './domain/notifications';
import { NotificationSettingsDto, OutboxQueryDto } from './dto/notifications.dto';
import { ChangeNotificationSettings } from './notifications.commands';
import { deliveryFacts, OutboxStore } from './outbox-store';
import { ParentFactsReader } from './parent-facts';

const parentTarget = (request: Request) => ({ parentId: str(request.params.parentId) });

const parentId = (id: string) => {
  if (!isUUID(id, 'all')) throw notFound('parent');
  return id;
};

/** Extension of API.md (docs/api-extensions.md "Notifications"): parents' notification settings and the outbox. */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('schools/:schoolId')
export class NotificationsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly facts: ParentFactsReader,
    private readonly outbox: OutboxStore,
  ) {}

  @Post('parents/:parentId/notification-settings')
  @WriteRoute()
  @Allow('notification-settings.change', parentTarget)
  change(
    @Param('schoolId') schoolId: string,
    @Param('parentId') id: string,
    @Body() body: NotificationSettingsDto,
    @CurrentAccess() access: Authorized,
    @CorrelationId() correlationId: string,
    @Ids() ids: OperationIds,
  ): Promise<WriteAnswer> {
    return this.commands.execute(new ChangeNotificationSettings(access, schoolId, correlationId, ids, parentId(id), body));
  }

  /** The settings in force (the defaults, with no contact, before any were set). */
  @Get('parents/:parentId/notification-settings')
  @Allow('notification-settings.read', parentTarget)
  @ReadsViews()
  async settings(@Param('parentId') id: string, @CurrentAccess() { school }: Authorized) {
    const parent = parentId(id);
    if (!isParentInSchool(school!.parentLinks, parent)) throw notFound('parent of a student of this school');
    return (await this.facts.settings(parent)) ?? defaultSettings(parent);
  }

  /** What is due, sent, failed or cancelled, newest first: ids and outcomes, no addresses. */
  @Get('notifications')
  @Allow('notifications.read')
  @ReadsViews()
  async list(@Param('schoolId') schoolId: string, @Query() query: OutboxQueryDto) {
    const rows = await this.outbox.list({ schoolId, studentId: query.studentId, state: query.state, limit: query.limit ?? 100 });
    return {
      items: rows.map((row) => ({
        id: row.id,
        ...deliveryFacts(row),
        digestId: row.digestId,
        state: row.state,
        attempts: row.attempts,
        dueAt: row.dueAt.toISOString(),
        sentAt: row.sentAt?.toISOString() ?? null,
        outcome: row.outcome,
      })),
    };
  }
}
