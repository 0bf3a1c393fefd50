import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { appendSection } from './append.bench';
import { voidingSection } from './voiding.bench';
import { catchUpSection } from './catch-up.bench';
import { httpReadsSection } from './http-reads.bench';
import { voidingLedgerSection } from './voiding-ledger.bench';
import { auditLedgerSection } from './audit-ledger.bench';
import { reportsSection } from './reports.bench';
import { notificationsSection } from './notifications.bench';
import { BenchEnvironment, DEFAULT_SERVER_URL, describeError, redact, Section } from './context';
import { InterferenceMonitor } from './interference';
import { formatSection, Row } from './report';

/**
 * `npm run bench [-- section…]`: runs the sections in this order, or only those named.
 * Progress bars go to stderr; the tables to stdout; everything to bench/results/latest.json
 * (or `<section>.json` when only some sections run).
 * Add a section by writing `{ name, run(ctx) }` and listing it here.
 */
const SECTIONS: readonly Section[] = [appendSection, catchUpSection, voidingLedgerSection, auditLedgerSection, httpReadsSection, voidingSection, reportsSection, notificationsSection];

const RESULTS_DIR = resolve(__dirname, '..', '..', 'bench', 'results');

interface SectionResult {
  name: string;
  seconds: number;
  rows: Row[];
  notes: string[];
  error?: string;
}

async function main(): Promise<number> {
  const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const unknown = wanted.filter((name) => !SECTIONS.some((section) => section.name === name));
  if (unknown.length > 0) {
    console.error(`unknown section ${unknown.join(', ')}; sections: ${SECTIONS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const chosen = wanted.length === 0 ? SECTIONS : SECTIONS.filter((section) => wanted.includes(section.name));

  const serverUrl = process.env.BENCH_DATABASE_URL || DEFAULT_SERVER_URL;
  const startedAt = new Date();
  const started = performance.now();
  const environment = await BenchEnvironment.create(serverUrl);
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: environment.postgresVersion,
    server: redact(serverUrl),
  };
  console.log(
    `zhurnal bench: ${chosen.map((s) => s.name).join(', ')} | ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}` +
      (environment.postgresVersion ? ` | PostgreSQL ${environment.postgresVersion} at ${machine.server}` : ''),
  );
  if (environment.postgresSkipReason) {
    console.log(`PostgreSQL rows are skipped, PGlite rows only: ${environment.postgresSkipReason}`);
  }

  const results: SectionResult[] = [];
  const monitor = new InterferenceMonitor(environment.postgresVersion === null ? null : serverUrl);
  try {
    for (const section of chosen) {
      const notes: string[] = [];
      const t0 = performance.now();
      let rows: Row[] = [];
      let error: string | undefined;
      await monitor.start();
      try {
        rows = await section.run(environment.contextFor(notes));
      } catch (caught) {
        error = describeError(caught);
        notes.push(`section failed: ${error}`);
        if (caught instanceof Error && caught.stack) console.error(caught.stack);
      }
      const interference = await monitor.stop();
      if (interference) notes.push(interference);
      const seconds = (performance.now() - t0) / 1000;
      results.push({ name: section.name, seconds, rows, notes, ...(error ? { error } : {}) });
      console.log(`\n${formatSection(section.name, rows, notes, seconds)}`);
    }
  } finally {
    await environment.close();
  }

  const seconds = (performance.now() - started) / 1000;
  console.log(`\ntotal ${seconds.toFixed(1)} s`);
  await mkdir(RESULTS_DIR, { recursive: true });
  // A run of some sections only must not clobber the full run's results: it gets its own file.
  const file = join(RESULTS_DIR, chosen.length === SECTIONS.length ? 'latest.json' : `${chosen.map((s) => s.name).join('+')}.json`);
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    seconds,
    machine,
    postgresSkipped: environment.postgresSkipReason,
    sections: results,
  };
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results written to ${file}`);
  return results.some((result) => result.error) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
