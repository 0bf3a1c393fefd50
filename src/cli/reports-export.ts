/**
 * `npm run reports:export -- --school <id> [--format pdf|xlsx|csv] [--as-of <moment>] <dir>`: the
 * annual printouts of every class of a school (seed 003 §15: printed by 30 June, bound and sealed)
 * written to `<dir>`, one file a class, with a progress bar; one class is held in memory at a time.
 * It starts the service's modules on the configured database (no HTTP listener), as one more
 * instance: the views it reads are the running service's.
 */
import 'reflect-metadata';
import { Presets, SingleBar } from 'cli-progress';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp } from '../app';
import { ConfigError, loadConfig } from '../config/app-config';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { toCsv } from '../reports/formats/csv';
import { toPdf } from '../reports/formats/pdf';
import { toXlsx } from '../reports/formats/xlsx';
import { PrintoutAttestation } from '../reports/printout-attestation';
import { journalPrintoutDocument } from '../reports/report-documents';
import { ReportViews } from '../reports/report-views';
import { schoolDecider, schoolStream } from '../school/domain/school.decider';

const FORMATS = ['pdf', 'xlsx', 'csv'] as const;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { school: { type: 'string' }, format: { type: 'string', default: 'pdf' }, 'as-of': { type: 'string' } }, allowPositionals: true });
  const format = values.format as (typeof FORMATS)[number];
  if (!values.school || positionals.length !== 1 || !FORMATS.includes(format)) {
    process.stderr.write('usage: npm run reports:export -- --school <schoolId> [--format pdf|xlsx|csv] [--as-of <RFC 3339 moment>] <dir>\n');
    return 2;
  }
  const asOf = values['as-of'] ? new Date(values['as-of']) : undefined;
  if (asOf && Number.isNaN(asOf.getTime())) {
    process.stderr.write(`--as-of must be an RFC 3339 moment, not ${values['as-of']}\n`);
    return 2;
  }
  const dir = positionals[0];
  await mkdir(dir, { recursive: true });
  const app = await createApp(loadConfig({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...process.env }));
  await app.init();
  const bar = new SingleBar({ format: 'export [{bar}] {percentage}% | {value}/{total} classes | eta {eta}s | {class}', stream: process.stderr }, Presets.shades_classic);
  try {
    const { state: school } = await app.get(EventSourcedRepository).load(schoolStream(values.school), schoolDecider);
    if (!school.exists) {
      process.stderr.write(`There is no school ${values.school}.\n`);
      return 1;
    }
    const reports = app.get(ReportViews);
    const attestation = app.get(PrintoutAttestation);
    const classes = Object.values(school.classes).sort((a, b) => a.name.localeCompare(b.name, 'ru'));
    bar.start(classes.length, 0, { class: '' });
    for (const klass of classes) {
      const doc = journalPrintoutDocument(await reports.journalPrintout(school, klass.classId, asOf), school.name);
      const file = format === 'csv' ? toCsv(doc) : format === 'xlsx' ? await toXlsx(doc) : await toPdf(doc, await attestation.of(doc), new Date().toISOString());
      await writeFile(join(dir, `journal-${klass.name.replace(/[^\p{L}\p{N}-]+/gu, '_')}-${klass.classId}.${format}`), file);
      bar.increment({ class: klass.name });
    }
    bar.stop();
    process.stdout.write(`${classes.length} class journals of «${school.name}» written to ${dir} as ${format.toUpperCase()}.\n`);
    return 0;
  } finally {
    bar.stop();
    await app.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
