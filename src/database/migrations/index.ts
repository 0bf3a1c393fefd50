import { EventLog1763900000000 } from './1763900000000-event-log';
import { Projections1763900000001 } from './1763900000001-projections';
import { Accounts1763900000002 } from './1763900000002-accounts';
import { Idempotency1763900000003 } from './1763900000003-idempotency';
import { LogIndexes1763900000004 } from './1763900000004-log-indexes';
import { ProjectionGenerations1763900000010 } from './1763900000010-projection-generations';
import { LoginThrottle1763900000030 } from './1763900000030-login-throttle';
import { ServiceMasterSecret1763900000031 } from './1763900000031-service-master-secret';
import { EventIndex1763900000050 } from './1763900000050-event-index';
import { BytewiseViewKeys1763900000070 } from './1763900000070-bytewise-view-keys';
import { IdempotencyPurge1763900000080 } from './1763900000080-idempotency-purge';
import { ViewDocumentsLz41763900000090 } from './1763900000090-view-documents-lz4';
import { ViewDocumentsJson1763900000100 } from './1763900000100-view-documents-json';
import { RebuildBySchool1763900000110 } from './1763900000110-rebuild-by-school';
import { AuditLedger1763900000120 } from './1763900000120-audit-ledger';
import { PersonalDataKeys1763900000130 } from './1763900000130-personal-data-keys';
import { NotificationOutbox1763900000140 } from './1763900000140-notification-outbox';
import { NotificationLeases1763900000160 } from './1763900000160-notification-leases';
import { FeedPublication1763900000150 } from './1763900000150-feed-publication';

/** Every schema change, in order. TypeORM records which ran in its `migrations` table. */
export const MIGRATIONS = [
  EventLog1763900000000,
  Projections1763900000001,
  Accounts1763900000002,
  Idempotency1763900000003,
  LogIndexes1763900000004,
  ProjectionGenerations1763900000010,
  LoginThrottle1763900000030,
  ServiceMasterSecret1763900000031,
  EventIndex1763900000050,
  BytewiseViewKeys1763900000070,
  IdempotencyPurge1763900000080,
  ViewDocumentsLz41763900000090,
  ViewDocumentsJson1763900000100,
  RebuildBySchool1763900000110,
  AuditLedger1763900000120,
  PersonalDataKeys1763900000130,
  NotificationOutbox1763900000140,
  FeedPublication1763900000150,
  NotificationLeases1763900000160,
];
