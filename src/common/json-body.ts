import { createHash } from 'node:crypto';
import type { Response } from 'express';

/**
 * A JSON answer serialised once: the bytes `res.json` would send and the weak ETag Express would
 * compute for them (etag 1.8: `W/"<length hex>-<sha1 base64, 27 chars>"`), so a cached view is
 * sent as is, byte for byte the answer it replaces, If-None-Match (304) included.
 */
export class JsonBody {
  private constructor(
    readonly bytes: Buffer,
    readonly etag: string,
  ) {}

  static of(value: unknown): JsonBody {
    const bytes = Buffer.from(JSON.stringify(value), 'utf8');
    const hash = createHash('sha1').update(bytes).digest('base64').substring(0, 27);
    return new JsonBody(bytes, `W/"${bytes.length.toString(16)}-${hash}"`);
  }

  /** Sends it with status 200 through Express (which answers 304 when the client's ETag matches). */
  send(response: Response): void {
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.setHeader('ETag', this.etag);
    response.send(this.bytes);
  }
}
