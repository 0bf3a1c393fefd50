import { deriveKey, KEY_PURPOSES } from './service-keys';

describe('service keys', () => {
  const master = 'm'.repeat(32);

  it('given one master, then each purpose gets its own 32-byte key, none of them the master', () => {
    const keys = (Object.keys(KEY_PURPOSES) as (keyof typeof KEY_PURPOSES)[]).map((purpose) => deriveKey(master, purpose));
    expect(keys.every((key) => key.length === 32)).toBe(true);
    expect(new Set(keys.map((key) => key.toString('hex'))).size).toBe(keys.length);
    expect(keys.some((key) => key.toString() === master)).toBe(false);
  });

  it('given the same master, then the keys are the same across starts and instances (pinned: a change here logs everyone out)', () => {
    expect(deriveKey(master, 'tokenSigning').toString('hex')).toBe('d523c5effd04521999ae776d77e824812b4e2cb7c438b11cfcaff078e8c72185');
    expect(deriveKey(master, 'idempotency').toString('hex')).toBe('85fb90883fe112375c6d3192ef3f4643b030a4fe0562080c2202814677180b9d');
  });

  it('given another master, then every key changes', () => {
    expect(deriveKey('n'.repeat(32), 'tokenSigning').equals(deriveKey(master, 'tokenSigning'))).toBe(false);
  });
});
