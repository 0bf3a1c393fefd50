import { decodeBase64, decodeUtf8, parseDecimal } from './encoding';

describe('strict encodings', () => {
  it('decodes standard padded base64 and nothing else', () => {
    expect(decodeBase64('AQID', 'x')).toEqual(Buffer.of(1, 2, 3));
    expect(decodeBase64('AQ==', 'x')).toEqual(Buffer.of(1));
    expect(decodeBase64('', 'x')).toEqual(Buffer.alloc(0));
    for (const bad of ['AQ', 'AQ=', 'A Q==', 'AQ==\n', '-_8=', 'AR==', 'AQ==AQ==', 'AQI!']) {
      expect(() => decodeBase64(bad, 'the hash')).toThrow(/^the hash is not (valid|canonical) base64$/);
    }
  });

  it('parses decimals without leading zeros, up to 2^64 − 1', () => {
    expect(parseDecimal('0', 'n')).toBe(0n);
    expect(parseDecimal('18446744073709551615', 'n')).toBe(2n ** 64n - 1n);
    for (const bad of ['', '01', '-1', '+1', '1.0', ' 1', '1e3', '١']) expect(() => parseDecimal(bad, 'n')).toThrow(/not a decimal/);
    expect(() => parseDecimal('18446744073709551616', 'n')).toThrow(/too large/);
  });

  it('rejects malformed UTF-8 instead of replacing it', () => {
    expect(decodeUtf8(Buffer.from('журнал'), 'x')).toBe('журнал');
    expect(() => decodeUtf8(Buffer.of(0x61, 0xc3), 'the note')).toThrow(/the note is not valid UTF-8/);
  });
});
