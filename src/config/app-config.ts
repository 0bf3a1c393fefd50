import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, validateSync, ValidateBy } from 'class-validator';
import { listOf, parseRange } from './address-ranges';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));

/** Names proxy-addr (Fastify's trustProxy) knows for ranges of proxies. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** A comma-separated list of addresses or CIDR ranges (and the names given). */
const isRangeList = (value: unknown, names: string[] = []): boolean =>
  typeof value === 'string' && listOf(value).length > 0 && listOf(value).every((entry) => names.includes(entry) || parseRange(entry) !== null);

const Satisfies = (name: string, validate: (value: unknown) => boolean, message: string) => ValidateBy({ name, validator: { validate, defaultMessage: () => message } });

/** Everything the service reads from its environment, checked once at start-up. */
export class AppConfig {
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// connection string' })
  DATABASE_URL?: string;

  @IsString()
  DATA_DIR = './data';

  @IsOptional()
  @Matches(/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kdb|kdb\+discover):\/\/.+/, {
    message: 'EVENTSTORE_CONNECTION_STRING must be an esdb:// or kurrentdb:// connection string',
  })
  EVENTSTORE_CONNECTION_STRING?: string;

  @Transform(toInt)
  @IsInt({ message: 'PORT must be a whole number' })
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @Transform(toInt)
  @IsInt({ message: 'DB_POOL_SIZE must be a whole number' })
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 10;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsString()
  @MinLength(1)
  ADMIN_LOGIN = 'admin';

  @IsOptional()
  @IsString()
  @MinLength(10, { message: 'ADMIN_PASSWORD must be at least 10 characters' })
  ADMIN_PASSWORD?: string;

  /**
   * The master secret every key of the service is derived from (HKDF, one key per purpose: see
   * src/auth/service-keys.ts). Unset (and no JWT_SECRET): one is made on first start and kept in the database.
   */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'SERVICE_SECRET must be at least 32 characters' })
  SERVICE_SECRET?: string;

  /** The master secret's older name, still read when SERVICE_SECRET is unset. */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET?: string;

  /**
   * Which proxies in front of the service to believe about the client's address (X-Forwarded-For):
   * Fastify's `trustProxy`. Unset or `false`: none (the peer is the client). `true`: every hop;
   * a number: that many hops; or a list of addresses/CIDR ranges (`loopback`, `linklocal`, `uniquelocal` too).
   */
  @IsOptional()
  @Satisfies(
    'isTrustProxy',
    (value) => (typeof value === 'string' && /^(true|false|\d{1,3})$/.test(value)) || isRangeList(value, PROXY_RANGE_NAMES),
    'TRUST_PROXY must be true, false, a number of hops, or a comma-separated list of addresses or CIDR ranges',
  )
  TRUST_PROXY?: string;

  /** Only clients in these ranges may read /metrics (comma-separated addresses or CIDR ranges). Unset: any. */
  @IsOptional()
  @Satisfies('isRangeList', (value) => isRangeList(value), 'METRICS_ALLOW must be a comma-separated list of addresses or CIDR ranges (10.0.0.0/8, ::1)')
  METRICS_ALLOW?: string;

  /** /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. Unset: no token. */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;

  @Transform(toInt)
  @IsInt({ message: 'PROJECTION_POLL_MS must be a whole number' })
  @Min(1)
  @Max(60000)
  PROJECTION_POLL_MS = 50;

  /**
   * A first attempt under an Idempotency-Key silent this long is taken over by a retry (API.md's
   * 409 IDEMPOTENCY_IN_PROGRESS until then). Measured on the service's clock.
   */
  @Transform(toInt)
  @IsInt({ message: 'IDEMPOTENCY_TAKEOVER_SECONDS must be a whole number' })
  @Min(1)
  @Max(86400)
  IDEMPOTENCY_TAKEOVER_SECONDS = 120;
  /** How often records past their 24 h are deleted. */
  @Transform(toInt)
  @IsInt({ message: 'IDEMPOTENCY_PURGE_MINUTES must be a whole number' })
  @Min(1)
  @Max(1440)
  IDEMPOTENCY_PURGE_MINUTES = 60;
  /** The longest pause of the views' back-off after errors (it starts at 100 ms and doubles). */
  @Transform(toInt)
  @IsInt({ message: 'PROJECTION_RETRY_MAX_MS must be a whole number' })
  @Min(100)
  @Max(600000)
  PROJECTION_RETRY_MAX_MS = 30000;
  /** What the folded states of streams kept in memory for decisions may hold, in MiB (estimated by the events folded). */
  @Transform(toInt)
  @IsInt({ message: 'REPOSITORY_CACHE_MB must be a whole number' })
  @Min(1)
  @Max(65536)
  REPOSITORY_CACHE_MB = 128;
  /** What built grids and diary weeks, the documents they were built from and the asOf folds kept in memory may hold, in MiB (estimated from the documents' JSON). */
  @Transform(toInt)
  @IsInt({ message: 'VIEW_CACHE_MB must be a whole number' })
  @Min(1)
  @Max(65536)
  VIEW_CACHE_MB = 128;
  /** What a rebuild (or the views catching up on a long log) may hold in memory before it writes, in MiB (an estimate of the JSON held). */
  @Transform(toInt)
  @IsInt({ message: 'REBUILD_MEMORY_MB must be a whole number' })
  @Min(1)
  @Max(65536)
  REBUILD_MEMORY_MB = 256;
  /** …and how many events it folds at most between two writes (what a rebuild that stops does again). */
  @Transform(toInt)
  @IsInt({ message: 'REBUILD_FLUSH_EVENTS must be a whole number' })
  @Min(1)
  @Max(100000000)
  REBUILD_FLUSH_EVENTS = 200000;
  /**
   * Between the fields of a report's CSV: `;` as Russian Excel expects (its list separator), or
   * `,` or `tab` for other tools; a `?delimiter=` on the request chooses for that one file.
   */
  @IsIn(['semicolon', 'comma', 'tab'], { message: 'REPORT_CSV_DELIMITER must be semicolon, comma or tab' })
  REPORT_CSV_DELIMITER: 'semicolon' | 'comma' | 'tab' = 'semicolon';
  /**
   * The audit ledger's name: the first line of its checkpoints and its key's name (C2SP
   * tlog-checkpoint: a schema-less URL, unique to this deployment, no spaces or '+').
   */
  @Matches(/^[^\s+]+$/, { message: 'LEDGER_ORIGIN must be non-empty, without spaces or "+" (say zhurnal.school-42.example/ledger)' })
  LEDGER_ORIGIN = 'zhurnal.local/ledger';
  /**
   * The Ed25519 key checkpoints are signed with, as `PRIVATE+KEY+<name>+<id>+<key>` (Go's note
   * format; its name must be LEDGER_ORIGIN). Unset: LEDGER_SIGNING_KEY_FILE, else one derived from the master secret.
   */
  @IsOptional()
  @Matches(/^PRIVATE\+KEY\+/, { message: 'LEDGER_SIGNING_KEY must read PRIVATE+KEY+<name>+<id>+<key>' })
  LEDGER_SIGNING_KEY?: string;
  /** During a key rotation, the key being replaced: it signs every checkpoint beside the new one until removed. */
  @IsOptional()
  @Matches(/^PRIVATE\+KEY\+/, { message: 'LEDGER_PREVIOUS_SIGNING_KEY must read PRIVATE+KEY+<name>+<id>+<key>' })
  LEDGER_PREVIOUS_SIGNING_KEY?: string;
  /** After a rotation, the vkeys of keys that no longer sign (comma-separated): earlier checkpoints signed by them stay trusted. */
  @IsOptional()
  @IsString()
  LEDGER_RETIRED_KEYS?: string;
  /** A file holding LEDGER_SIGNING_KEY (a mounted secret). */
  @IsOptional()
  @IsString()
  LEDGER_SIGNING_KEY_FILE?: string;
  /** A checkpoint is signed once this many events joined the ledger since the last one… */
  @Transform(toInt)
  @IsInt({ message: 'LEDGER_CHECKPOINT_EVERY must be a whole number' })
  @Min(1)
  @Max(10000000)
  LEDGER_CHECKPOINT_EVERY = 1000;
  /** …or this many seconds after it, if any event joined. */
  @Transform(toInt)
  @IsInt({ message: 'LEDGER_CHECKPOINT_SECONDS must be a whole number' })
  @Min(1)
  @Max(86400)
  LEDGER_CHECKPOINT_SECONDS = 10;
  /** How often the ledger's builder looks for new events. */
  @Transform(toInt)
  @IsInt({ message: 'LEDGER_POLL_MS must be a whole number' })
  @Min(10)
  @Max(60000)
  LEDGER_POLL_MS = 200;
  /**
   * Witnesses asked to co-sign each checkpoint (C2SP tlog-witness), `<url> <vkey>` pairs,
   * comma-separated: say the education office's and the regional archive's (`npm run witness`).
   */
  @IsOptional()
  @IsString()
  LEDGER_WITNESSES?: string;
  /** How many of them must co-sign before a checkpoint is served (default: all of them). */
  @IsOptional()
  @Transform(toInt)
  @IsInt({ message: 'LEDGER_WITNESS_QUORUM must be a whole number' })
  @Min(0)
  @Max(100)
  LEDGER_WITNESS_QUORUM?: number;
  /** How often the instance that builds the ledger checks it against the log (minutes; it reads the whole log). */
  @Transform(toInt)
  @IsInt({ message: 'LEDGER_AUDIT_MINUTES must be a whole number' })
  @Min(1)
  @Max(10080)
  LEDGER_AUDIT_MINUTES = 60;
  /** Where parents' e-mail goes (nodemailer's SMTP URL, say smtp://user:password@mail.school.example:587); none: e-mails wait in the outbox. */
  @IsOptional()
  @IsString()
  SMTP_URL?: string;
  /** Connections kept open to the SMTP server (nodemailer's pool). */
  @Transform(toInt)
  @IsInt({ message: 'SMTP_MAX_CONNECTIONS must be a whole number' })
  @Min(1)
  @Max(100)
  SMTP_MAX_CONNECTIONS = 5;
  /** The sender of parents' e-mail. */
  @IsString()
  SMTP_FROM = 'Электронный журнал <journal@zhurnal.local>';
  /** The SMS gateway's webhook (POST, JSON); none: SMS wait in the outbox. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { message: 'SMS_WEBHOOK_URL must be an http(s) URL' })
  SMS_WEBHOOK_URL?: string;
  /** The key of the webhook's HMAC-SHA256 signature (header X-Zhurnal-Signature). */
  @IsOptional()
  @IsString()
  SMS_WEBHOOK_SECRET?: string;
  /** How often the outbox's follower and worker look for work when nothing woke them. */
  @Transform(toInt)
  @IsInt({ message: 'NOTIFICATIONS_POLL_MS must be a whole number' })
  @Min(10)
  @Max(60000)
  NOTIFICATIONS_POLL_MS = 500;
  /** How long a delivery in flight is the worker's: a worker killed mid-delivery lets it go after this. */
  @Transform(toInt)
  @IsInt({ message: 'NOTIFICATIONS_LEASE_SECONDS must be a whole number' })
  @Min(1)
  @Max(3600)
  NOTIFICATIONS_LEASE_SECONDS = 60;
  /**
   * Attempts before a notification is given up as failed (NotificationFailed in the log): with the
   * back-off (2 s doubling to an hour) 60 attempts span about two days, as NOTIFICATIONS_GIVE_UP_HOURS.
   */
  @Transform(toInt)
  @IsInt({ message: 'NOTIFICATIONS_MAX_ATTEMPTS must be a whole number' })
  @Min(1)
  @Max(1000)
  NOTIFICATIONS_MAX_ATTEMPTS = 60;
  /** A notification not delivered this many hours after it fell due is given up: news that old is no news. */
  @Transform(toInt)
  @IsInt({ message: 'NOTIFICATIONS_GIVE_UP_HOURS must be a whole number' })
  @Min(1)
  @Max(720)
  NOTIFICATIONS_GIVE_UP_HOURS = 48;
  /**
   * NATS servers (comma-separated nats:// or tls:// URLs): when set, every school's change feed is
   * also published to the JetStream stream ZHURNAL_FEED, subject zhurnal.feed.<schoolId> (src/feed).
   */
  @IsOptional()
  @Matches(/^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/, { message: 'NATS_URL must be nats:// or tls:// URLs, comma-separated' })
  NATS_URL?: string;
  /** TRUST_PROXY as Fastify's `trustProxy` option takes it. */
  get trustProxy(): boolean | number | string[] {
    const value = this.TRUST_PROXY ?? 'false';
    if (value === 'true' || value === 'false') return value === 'true';
    return /^\d+$/.test(value) ? Number(value) : listOf(value);
  }

  /** The secret keys are derived from, when one is configured. */
  get masterSecret(): string | undefined {
    return this.SERVICE_SECRET ?? this.JWT_SECRET;
  }

  get storeDescription(): string {
    if (this.EVENTSTORE_CONNECTION_STRING) return 'EventStoreDB (views in PostgreSQL)';
    if (this.DATABASE_URL) return 'PostgreSQL';
    return `embedded PostgreSQL (PGlite) in ${this.DATA_DIR}`;
  }
}

export class ConfigError extends Error {}

/** Values that may hold a password: never printed, not even in an error. */
const SECRET_KEYS = /PASSWORD|SECRET|TOKEN|DATABASE_URL|CONNECTION_STRING|SIGNING_KEY|SMTP_URL|NATS_URL/;

/** Reads and checks the environment; a bad value stops the start with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new AppConfig()).concat([
    'DATABASE_URL',
    'EVENTSTORE_CONNECTION_STRING',
    'ADMIN_PASSWORD',
    'SERVICE_SECRET',
    'JWT_SECRET',
    'TRUST_PROXY',
    'METRICS_ALLOW',
    'METRICS_TOKEN',
    'LEDGER_SIGNING_KEY',
    'LEDGER_SIGNING_KEY_FILE',
    'LEDGER_WITNESSES',
    'LEDGER_PREVIOUS_SIGNING_KEY',
    'LEDGER_RETIRED_KEYS',
    'LEDGER_WITNESS_QUORUM',
    'SMTP_URL',
    'SMS_WEBHOOK_URL',
    'SMS_WEBHOOK_SECRET',
    'NATS_URL',
  ]);
  const raw = Object.fromEntries(known.filter((key) => env[key] !== undefined && env[key] !== '').map((key) => [key, env[key]]));
  const config = plainToInstance(AppConfig, raw);
  const errors = validateSync(config, { forbidUnknownValues: false });
  if (errors.length > 0) {
    // One line per setting, with the text as it was given (a secret is never shown).
    const problems = errors.map((error) => {
      const reason = Object.values(error.constraints ?? {}).reverse()[0] ?? 'is not valid';
      const given = SECRET_KEYS.test(error.property) ? 'a value not shown' : JSON.stringify(raw[error.property]);
      return `  - ${error.property}: ${reason} (got ${given})`;
    });
    throw new ConfigError(`The service cannot start: its configuration is wrong.\n${problems.join('\n')}`);
  }
  if (config.SERVICE_SECRET && config.JWT_SECRET && config.SERVICE_SECRET !== config.JWT_SECRET) {
    throw new ConfigError('The service cannot start: SERVICE_SECRET and JWT_SECRET are both set and differ. Set SERVICE_SECRET only (JWT_SECRET is its older name).');
  }
  if (config.EVENTSTORE_CONNECTION_STRING && !config.DATABASE_URL) {
    throw new ConfigError('The service cannot start: with EVENTSTORE_CONNECTION_STRING, set DATABASE_URL too (views live in PostgreSQL).');
  }
  return config;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
