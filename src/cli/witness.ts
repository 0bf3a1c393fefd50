/**
 * `npm run witness`: a witness of the audit ledger (C2SP tlog-witness), another party's process:
 * the municipality's education office, the regional archive. Its own key (made on first start in
 * WITNESS_DIR), its own state; it co-signs a checkpoint of a log it trusts (WITNESS_LOGS: the logs'
 * vkeys, comma-separated) only if it is consistent with the last one it co-signed.
 *   WITNESS_NAME (default witness.zhurnal.local), WITNESS_DIR (./witness-data), WITNESS_PORT (3100),
 *   WITNESS_HOST (127.0.0.1).
 * The service is told of it with LEDGER_WITNESSES="<url> <vkey>" (see README).
 */
import pino from 'pino';
import { startWitness } from '../witness/witness-server';

async function main(): Promise<void> {
  const logger = pino({ name: 'witness' });
  const logs = (process.env.WITNESS_LOGS ?? '').split(',').map((key) => key.trim()).filter(Boolean);
  if (logs.length === 0) {
    process.stderr.write('Set WITNESS_LOGS to the vkey of the ledger to witness (GET /api/v1/ledger/key of the service).\n');
    process.exit(2);
  }
  const witness = await startWitness({
    name: process.env.WITNESS_NAME ?? 'witness.zhurnal.local',
    dir: process.env.WITNESS_DIR ?? './witness-data',
    logs,
    port: Number(process.env.WITNESS_PORT ?? 3100),
    host: process.env.WITNESS_HOST ?? '127.0.0.1',
    log: (object, message) => logger.info(object, message),
  });
  logger.info({ url: witness.url, vkey: witness.vkey }, 'witness listening: give the service LEDGER_WITNESSES="<url> <vkey>"');
  const stop = () => void witness.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`The witness cannot start: ${(error as Error).message}\n`);
  process.exit(1);
});
