import { preferredEncoding } from './json-body';

describe('preferredEncoding (Accept-Encoding)', () => {
  it.each([
    [undefined, undefined],
    ['identity', undefined],
    ['gzip', 'gzip'],
    ['gzip, deflate', 'gzip'],
    ['gzip, deflate, br', 'br'],
    ['br;q=1, gzip;q=0.5', 'br'],
    ['br;q=0.2, gzip;q=0.8', 'gzip'],
    ['gzip;q=0', undefined],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'br'],
    ['gzip;q=0.5, *;q=0.1', 'gzip'],
    ['*;q=0', undefined],
    ['GZIP', 'gzip'],
  ])('given Accept-Encoding %p, then it answers with %p', (header, expected) => {
    expect(preferredEncoding(header)).toBe(expected);
  });
});
