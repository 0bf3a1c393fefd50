import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AccountDirectory } from '../accounts/account-directory';
import { Authorized } from '../auth/access';
import { WriteAnswer, writeAnswer } from '../common/write-answer';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { OperationIds } from '../event-store/operation-ids';
import { ChangeNotificationSettings as ChangeCommand, decideNotificationSettings, notificationSettingsDecider, notificationSettingsStream } from './domain/notification-settings.decider';
import { NotificationSettingsDto } from './dto/notifications.dto';
import { isParentInSchool } from './domain/notifications';

export class ChangeNotificationSettings {
  constructor(
    readonly access: Authorized,
    readonly schoolId: string,
    readonly correlationId: string,
    readonly ids: OperationIds,
    readonly parentId: string,
    readonly body: NotificationSettingsDto,
  ) {}
}

/** Facts from the school's structure (caught up by the access check), rules in the decider. */
@CommandHandler(ChangeNotificationSettings)
export class ChangeNotificationSettingsHandler implements ICommandHandler<ChangeNotificationSettings, WriteAnswer> {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly accounts: AccountDirectory,
  ) {}

  async execute(c: ChangeNotificationSettings): Promise<WriteAnswer> {
    const school = c.access.school!;
    const parentOfSchool = isParentInSchool(school.parentLinks, c.parentId);
    const { quietHours, ...rest } = c.body;
    const command: ChangeCommand = {
      type: 'ChangeNotificationSettings',
      parentId: c.parentId,
      ...rest,
      ...(quietHours !== undefined ? { quietHours: quietHours === null ? null : { from: quietHours.from, to: quietHours.to } } : {}),
      parentOfSchool,
      parentKnown: parentOfSchool || (await this.accounts.get(c.parentId)) !== null,
    };
    const result = await this.repository.handle(notificationSettingsStream(c.parentId), notificationSettingsDecider, (state) => decideNotificationSettings(command, state), {
      schoolId: c.schoolId,
      actor: c.access.actor,
      correlationId: c.correlationId,
      ids: c.ids,
    });
    return writeAnswer(result!.events[0].eventId, result!);
  }
}

export const NOTIFICATIONS_HANDLERS = [ChangeNotificationSettingsHandler];
