import type { IncomingMessage } from 'node:http';

/** A change-feed entry as a client sees it (src/feed/domain/feed.ts). */
export interface FeedLine {
  cursor: string;
  id: string;
  kind: 'event' | 'change';
  type: string;
  eventId: string;
  eventType?: string;
  stream: string;
  schoolId: string | null;
  position: string;
  void?: boolean;
  voidedBy?: string | null;
  incidentId?: string;
  factEventId?: string;
  data?: Record<string, unknown>;
}

/** supertest leaves an unknown media type (application/x-ndjson) unparsed: the body as text. */
export function textParser(response: IncomingMessage, done: (error: Error | null, body: string) => void): void {
  let text = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => (text += chunk));
  response.on('end', () => done(null, text));
}

/** The entries of a JSON-lines answer. */
export const feedLines = (text: string): FeedLine[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as FeedLine);
