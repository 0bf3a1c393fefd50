import { randomBytes } from 'node:crypto';
import { openValue, sealValue, unwrapKey, wrapKey } from './personal-data-cipher';

describe('personal data cipher', () => {
  const key = randomBytes(32);

  it('opens what it sealed, of any JSON type, and seals the same value differently each time', () => {
    for (const value of ['Иванова Анна', '2015-03-01', 42, { a: [1, null] }]) expect(openValue(key, sealValue(key, 'student:s1', value))).toEqual(value);
    expect(sealValue(key, 'student:s1', 'x').data).not.toBe(sealValue(key, 'student:s1', 'x').data);
  });

  it('refuses another key, another person, a changed byte', () => {
    const sealed = sealValue(key, 'student:s1', 'Иванова Анна');
    expect(() => openValue(randomBytes(32), sealed)).toThrow();
    expect(() => openValue(key, { ...sealed, person: 'student:s2' })).toThrow();
    const data = Buffer.from(sealed.data, 'base64url');
    data[0] ^= 1;
    expect(() => openValue(key, { ...sealed, data: data.toString('base64url') })).toThrow();
    expect(() => openValue(key, { ...sealed, data: '' })).toThrow();
  });

  it('wraps a data key under the key-encryption key, bound to its person', () => {
    const kek = randomBytes(32);
    const wrapped = wrapKey(kek, 'account:a1', key);
    expect(unwrapKey(kek, 'account:a1', wrapped)).toEqual(key);
    expect(() => unwrapKey(kek, 'account:a2', wrapped)).toThrow();
    expect(() => unwrapKey(randomBytes(32), 'account:a1', wrapped)).toThrow();
  });
});
