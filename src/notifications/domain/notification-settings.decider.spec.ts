import { DomainError } from '../../common/domain-error';
import { ChangeNotificationSettings, decideNotificationSettings, evolveNotificationSettings, initialNotificationSettingsState, NotificationSettingsState } from './notification-settings.decider';

const change = (overrides: Partial<ChangeNotificationSettings> = {}): ChangeNotificationSettings => ({
  type: 'ChangeNotificationSettings',
  parentId: 'p1',
  parentOfSchool: true,
  parentKnown: true,
  ...overrides,
});
const given = (...commands: ChangeNotificationSettings[]): NotificationSettingsState =>
  commands.reduce((state, command) => decideNotificationSettings(command, state).reduce(evolveNotificationSettings, state), initialNotificationSettingsState());
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return { status: (error as DomainError).status, field: (error as DomainError).field, message: (error as Error).message };
  }
  throw new Error('not refused');
};

describe('notification settings', () => {
  it('given nothing, when the class teacher enters an e-mail, then the settings are the defaults with it', () => {
    const [event] = decideNotificationSettings(change({ email: 'mama@example.ru' }), initialNotificationSettingsState());
    expect(event).toEqual({
      type: 'NotificationSettingsChanged',
      data: { parentId: 'p1', email: 'mama@example.ru', phone: null, channels: ['email'], kinds: ['mark', 'absence', 'final-mark'], quietHours: null, digest: false, digestAt: '19:00' },
    });
  });

  it('given settings, when only the channels change, then the contacts stay', () => {
    const state = given(change({ email: 'mama@example.ru', phone: '+79161234567' }));
    const [event] = decideNotificationSettings(change({ channels: ['sms', 'sms'] }), state);
    expect(event.data).toMatchObject({ email: 'mama@example.ru', phone: '+79161234567', channels: ['sms'] });
  });

  it('when nothing would change, then 409', () => {
    const state = given(change({ email: 'mama@example.ru' }));
    expect(refusal(() => decideNotificationSettings(change({ email: 'mama@example.ru' }), state))).toMatchObject({ status: 409 });
  });

  it('when SMS is chosen without a phone, then 400 naming phone; e-mail without an address, 400 naming email', () => {
    expect(refusal(() => decideNotificationSettings(change({ channels: ['sms'] }), initialNotificationSettingsState()))).toMatchObject({ status: 400, field: 'phone' });
    expect(refusal(() => decideNotificationSettings(change({ channels: ['email'] }), initialNotificationSettingsState()))).toMatchObject({ status: 400, field: 'email' });
  });

  it('when quiet hours start and end at once, then 400', () => {
    expect(refusal(() => decideNotificationSettings(change({ email: 'a@b.ru', quietHours: { from: '08:00', to: '08:00' } }), initialNotificationSettingsState()))).toMatchObject({
      status: 400,
      field: 'quietHours',
    });
  });

  it('when the account is no parent of this school, then 400; no account at all, 404', () => {
    expect(refusal(() => decideNotificationSettings(change({ parentOfSchool: false }), initialNotificationSettingsState()))).toMatchObject({ status: 400, field: 'parentId' });
    expect(refusal(() => decideNotificationSettings(change({ parentOfSchool: false, parentKnown: false }), initialNotificationSettingsState()))).toMatchObject({ status: 404 });
  });
});
