import { createHmac } from 'node:crypto';
import nodemailer, { Transporter } from 'nodemailer';
import { Channel } from './domain/notification-settings.decider';

/** One message to one address; `id` is the notification's stable id, which the receiver deduplicates by. */
export interface OutgoingMessage {
  readonly id: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/** Why a delivery failed, without the address or the server's own text (they may name a person). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** No retry helps (a rejected address, a refused request): given up at once. */
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export interface NotificationChannel {
  readonly channel: Channel;
  /** Whether it is set up; an unconfigured channel's notifications wait in the outbox. */
  readonly configured: boolean;
  send(message: OutgoingMessage): Promise<void>;
  close(): Promise<void>;
}

/** The Message-ID a notification's e-mail carries: the receiver's key to drop a repeat. */
export const messageIdOf = (id: string) => `<${id}@zhurnal.notifications>`;

/** E-mail over SMTP with nodemailer. */
export class EmailChannel implements NotificationChannel {
  readonly channel = 'email' as const;
  private readonly transport?: Transporter;

  constructor(
    url: string | undefined,
    private readonly from: string,
    maxConnections = 5,
  ) {
    // Connections reused for many messages; nodemailer reconnects when the server drops one.
    // Timeouts well inside a delivery's lease (NOTIFICATIONS_LEASE_SECONDS, 60 s by default), so a
    // hung server fails the attempt before another worker may take the notification over.
    if (url) this.transport = nodemailer.createTransport(url, { pool: true, maxConnections, connectionTimeout: 20_000, greetingTimeout: 15_000, socketTimeout: 30_000 } as never);
  }

  get configured(): boolean {
    return this.transport !== undefined;
  }

  async send(message: OutgoingMessage): Promise<void> {
    if (!this.transport) throw new DeliveryError('e-mail is not configured (SMTP_URL)', false);
    try {
      await this.transport.sendMail({
        from: this.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId: messageIdOf(message.id),
        headers: { 'X-Zhurnal-Notification-Id': message.id },
      });
    } catch (error) {
      const { responseCode: code, command } = error as { responseCode?: number; command?: string };
      // A 5xx to the recipient or the message refuses it for good (an unknown mailbox, say); any
      // other answer (a refused login, a full queue, a greeting of 554) is the server's or the
      // configuration's state, which may change: retried.
      const refusedForGood = typeof code === 'number' && code >= 500 && code < 600 && (command === 'RCPT TO' || command === 'DATA');
      if (typeof code === 'number') throw new DeliveryError(`the mail server answered ${code}${command ? ` to ${command}` : ''}`, refusedForGood);
      throw new DeliveryError(`the mail server could not be reached (${(error as { code?: string }).code ?? 'connection failed'})`, false);
    }
  }

  async close(): Promise<void> {
    this.transport?.close();
  }
}

export const SIGNATURE_HEADER = 'x-zhurnal-signature';
export const TIMESTAMP_HEADER = 'x-zhurnal-timestamp';

/** `sha256=<hex>` of HMAC-SHA256(secret, `<timestamp>.<body>`): what the gateway checks (as Stripe's and GitHub's webhooks). */
export const webhookSignature = (secret: string, timestamp: string, body: string): string => `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

/** SMS through a gateway's HTTP webhook: POST `{id, to, text}`, signed, `Idempotency-Key` = the id. */
export class SmsWebhookChannel implements NotificationChannel {
  readonly channel = 'sms' as const;

  constructor(
    private readonly url: string | undefined,
    private readonly secret: string | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get configured(): boolean {
    return this.url !== undefined;
  }

  async send(message: OutgoingMessage): Promise<void> {
    if (!this.url) throw new DeliveryError('SMS is not configured (SMS_WEBHOOK_URL)', false);
    const body = JSON.stringify({ id: message.id, to: message.to, text: message.text });
    const timestamp = String(Math.floor(this.now().getTime() / 1000));
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': message.id, [TIMESTAMP_HEADER]: timestamp };
    if (this.secret) headers[SIGNATURE_HEADER] = webhookSignature(this.secret, timestamp, body);
    let response: Response;
    try {
      response = await fetch(this.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new DeliveryError(`the SMS gateway could not be reached (${(error as Error).name === 'TimeoutError' ? 'timeout' : 'connection failed'})`, false);
    }
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return;
    // A 4xx refuses the message for good, but for those that say come back later (408, 429) or that
    // the gateway is not reached as configured (401, 403, 404: a wrong secret, key or URL, which an
    // operator fixes): those are retried, as are 5xx.
    const permanent = response.status >= 400 && response.status < 500 && ![401, 403, 404, 408, 429].includes(response.status);
    throw new DeliveryError(`the SMS gateway answered ${response.status}`, permanent);
  }

  async close(): Promise<void> {}
}
