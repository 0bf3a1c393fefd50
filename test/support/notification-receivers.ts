import { createServer, Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookSignature } from '../../src/notifications/channels';

/** One e-mail as the SMTP server received it, decoded. */
export interface ReceivedMail {
  readonly messageId: string;
  readonly notificationId: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/**
 * A real SMTP server on loopback (the `smtp-server` package) that keeps what it receives. It
 * deduplicates as a receiver should, by Message-ID: `deliveries` counts every message that
 * arrived, `unique` the distinct ones. `holdNext` keeps the next message's reply back (the sender
 * waits, as for a slow server) until `release`.
 */
export class MailReceiver {
  readonly deliveries: ReceivedMail[] = [];
  private server?: SMTPServer;
  private held: (() => void)[] = [];
  private holding = false;
  port = 0;

  get unique(): ReceivedMail[] {
    const seen = new Map<string, ReceivedMail>();
    for (const mail of this.deliveries) if (!seen.has(mail.messageId)) seen.set(mail.messageId, mail);
    return [...seen.values()];
  }

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => {
        void simpleParser(stream).then(
          (parsed) => {
            this.deliveries.push({
              messageId: parsed.messageId ?? '',
              notificationId: String(parsed.headers.get('x-zhurnal-notification-id') ?? ''),
              to: parsed.to ? (Array.isArray(parsed.to) ? parsed.to : [parsed.to]).map((a) => a.text).join(', ') : '',
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
            });
            if (this.holding) {
              this.holding = false;
              this.held.push(() => callback());
            } else callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    this.server.on('error', () => undefined);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  holdNext(): void {
    this.holding = true;
  }

  release(): void {
    for (const reply of this.held.splice(0)) reply();
  }

  async stop(): Promise<void> {
    this.release();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

export interface ReceivedSms {
  readonly id: string;
  readonly to: string;
  readonly text: string;
  readonly idempotencyKey: string;
  /** Whether the HMAC signature matched the shared secret. */
  readonly signed: boolean;
}

/** An SMS gateway's webhook on loopback: checks the signature, keeps what it receives. */
export class SmsReceiver {
  readonly deliveries: ReceivedSms[] = [];
  private server?: HttpServer;
  /** Status to answer with (200 by default): a test makes the gateway fail. */
  status = 200;
  url = '';

  constructor(private readonly secret: string) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const timestamp = String(request.headers[TIMESTAMP_HEADER] ?? '');
        const signed = request.headers[SIGNATURE_HEADER] === webhookSignature(this.secret, timestamp, body);
        const parsed = JSON.parse(body) as { id: string; to: string; text: string };
        if (this.status < 300) this.deliveries.push({ ...parsed, idempotencyKey: String(request.headers['idempotency-key'] ?? ''), signed });
        response.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/sms`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** Polls until `condition` holds (the worker runs in the background), or fails saying what it waited for. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
