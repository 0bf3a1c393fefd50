import { consentDecider, consentStream } from '../parents/domain/consent.decider';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { schoolDecider, SchoolState, schoolStream } from '../school/domain/school.decider';
import { ParentFacts } from './domain/notifications';
import { NotificationSettings, notificationSettingsDecider, notificationSettingsStream } from './domain/notification-settings.decider';

/**
 * The facts a notification depends on, as they stand now: the school (its parent links, names,
 * time zone), each linked parent's consent and settings. Read through the repository, so void
 * registrations count for nothing (a consent or a contact entered through a compromised account).
 */
export class ParentFactsReader {
  constructor(private readonly repository: EventSourcedRepository) {}

  async school(schoolId: string): Promise<SchoolState> {
    return (await this.repository.load(schoolStream(schoolId), schoolDecider)).state;
  }

  async settings(parentId: string): Promise<NotificationSettings | null> {
    return (await this.repository.load(notificationSettingsStream(parentId), notificationSettingsDecider)).state.settings;
  }

  async parent(parentId: string, studentId: string): Promise<ParentFacts> {
    const [consent, settings] = await Promise.all([this.repository.load(consentStream(parentId, studentId), consentDecider), this.settings(parentId)]);
    return { parentId, consentGiven: consent.state.status === 'granted', settings };
  }

  /** The student's parents linked now, with their consent and settings. */
  async parentsOf(school: SchoolState, studentId: string): Promise<ParentFacts[]> {
    return Promise.all((school.parentLinks[studentId] ?? []).map((parentId) => this.parent(parentId, studentId)));
  }
}
