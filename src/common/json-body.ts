import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { HttpReply, HttpRequest } from './http';

/** Smaller answers go as they are: the framing and the client's inflating would cost more than they save. */
const COMPRESS_FROM_BYTES = 1024;

type Encoding = 'br' | 'gzip';

/**
 * Brotli at quality 5 and gzip at its default level: for a 30 × 60 grid (320 KB of JSON) 25 KB
 * in ~9 ms and 31 KB in ~4 ms, once per built view, on libuv's pool rather than the event loop.
 * Higher qualities save little more at many times the time (brotli 9: 23.6 KB in 42 ms).
 */
const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);
const compressors: Record<Encoding, (bytes: Buffer) => Promise<Buffer>> = {
  br: (bytes) =>
    brotli(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
    }),
  gzip: (bytes) => gzipped(bytes),
};

/**
 * A JSON answer serialised once, with a weak ETag of its bytes (`W/"<length hex>-<sha1 base64, 27
 * chars>"`, the etag package's form), so a cached view is sent as is and a client holding it gets
 * 304. A client that accepts brotli or gzip gets the bytes compressed, also once: on the wire a
 * grid read is then 25 KB, not 320 KB, and the bytes a client must take in were the cost of a
 * grid read under load (docs/architecture.md, "Reads under load").
 */
export class JsonBody {
  private readonly encoded = new Map<Encoding, Promise<Buffer>>();

  private constructor(
    readonly bytes: Buffer,
    readonly etag: string,
  ) {}

  static of(value: unknown): JsonBody {
    const bytes = Buffer.from(JSON.stringify(value), 'utf8');
    const hash = createHash('sha1').update(bytes).digest('base64').substring(0, 27);
    return new JsonBody(bytes, `W/"${bytes.length.toString(16)}-${hash}"`);
  }

  /** Sends it with status 200, or 304 when the client already holds these bytes (If-None-Match). */
  async send(request: HttpRequest, reply: HttpReply): Promise<void> {
    void reply.header('Content-Type', 'application/json; charset=utf-8').header('ETag', this.etag);
    const compressible = this.bytes.length >= COMPRESS_FROM_BYTES;
    if (compressible) void reply.header('Vary', 'Accept-Encoding');
    if (holds(request.headers['if-none-match'], this.etag)) {
      void reply.code(304).send();
      return;
    }
    const encoding = compressible ? preferredEncoding(request.headers['accept-encoding']) : undefined;
    if (!encoding) {
      void reply.send(this.bytes);
      return;
    }
    void reply.header('Content-Encoding', encoding).send(await this.encodedAs(encoding));
  }

  private encodedAs(encoding: Encoding): Promise<Buffer> {
    let encoded = this.encoded.get(encoding);
    if (!encoded) {
      encoded = compressors[encoding](this.bytes);
      this.encoded.set(encoding, encoded);
    }
    return encoded;
  }
}

/** If-None-Match's weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag equal to ours, W/ aside. */
function holds(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/**
 * The coding to answer with (RFC 9110 §12.5.3): the highest-weighted of brotli and gzip the client
 * accepts (`*` stands for any not named), brotli on a tie; none when it accepts neither.
 */
export function preferredEncoding(acceptEncoding: string | undefined): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  const weights = new Map<string, number>();
  for (const entry of acceptEncoding.split(',')) {
    const [coding, ...params] = entry.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(coding.trim(), Number.isFinite(weight) ? weight : 0);
  }
  const weightOf = (coding: Encoding) => weights.get(coding) ?? weights.get('*') ?? 0;
  const [best] = (['br', 'gzip'] as const).filter((coding) => weightOf(coding) > 0).sort((a, b) => weightOf(b) - weightOf(a));
  return best;
}
