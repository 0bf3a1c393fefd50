import { readdirSync, readFileSync } from 'node:fs';
import { Client } from 'pg';

/**
 * The bench shares the machine (2 cores) and the PostgreSQL server with whatever else runs there,
 * e.g. a test suite. This watches for it, so a section can say whether its figures were disturbed:
 * CPU used by other processes (Linux /proc; postgres backends excluded, see below) and backends of
 * other databases busy on the server (sampled every second).
 */
export class InterferenceMonitor {
  private timer?: NodeJS.Timeout;
  private client?: Client;
  private samples = 0;
  private busySamples = 0;
  private readonly busyDatabases = new Set<string>();
  private cpuAtStart = new Map<number, number>();
  private startedAt = 0;

  constructor(private readonly serverUrl: string | null) {}

  async start(): Promise<void> {
    this.samples = 0;
    this.busySamples = 0;
    this.busyDatabases.clear();
    this.cpuAtStart = otherProcessTicks();
    this.startedAt = performance.now();
    if (!this.serverUrl) return;
    try {
      const client = new Client({ connectionString: this.serverUrl, application_name: 'zhurnal-bench-monitor' });
      client.on('error', () => undefined);
      await client.connect();
      this.client = client;
      this.timer = setInterval(() => void this.sample(), 1000);
      this.timer.unref();
    } catch {
      this.client = undefined;
    }
  }

  /** Stops watching; a line for the notes, or null when nothing else was seen. */
  async stop(): Promise<string | null> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
    const seconds = (performance.now() - this.startedAt) / 1000;
    const otherCpu = otherCpuSeconds(this.cpuAtStart, otherProcessTicks());
    const parts: string[] = [];
    if (otherCpu !== null && otherCpu >= 0.05 * seconds) {
      parts.push(`other processes used ~${otherCpu.toFixed(1)} CPU-s during this section's ${seconds.toFixed(0)} s`);
    }
    if (this.busySamples > 0) {
      parts.push(
        `other databases were busy on the PostgreSQL server in ${this.busySamples} of ${this.samples} one-second samples ` +
          `(${[...this.busyDatabases].sort().join(', ')})`,
      );
    }
    return parts.length === 0 ? null : `interference: ${parts.join('; ')}. Treat the figures of this section as noisy.`;
  }

  private async sample(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      const { rows } = await client.query<{ datname: string }>(
        `SELECT DISTINCT datname FROM pg_stat_activity
          WHERE datname IS NOT NULL AND datname NOT LIKE 'zhurnal_bench_%' AND application_name NOT LIKE 'zhurnal-bench%'
            AND backend_type = 'client backend' AND state <> 'idle'`,
      );
      this.samples++;
      if (rows.length > 0) this.busySamples++;
      for (const row of rows) this.busyDatabases.add(row.datname);
    } catch {
      // a missed sample is not worth failing the bench for
    }
  }
}

/**
 * utime + stime (clock ticks) of every process but this one and PostgreSQL's (whose backends
 * serve this bench too; other databases' load on the server is what the samples above catch).
 */
function otherProcessTicks(): Map<number, number> {
  const ticks = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return ticks;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name === 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks;
}

/** CPU seconds other processes used between two snapshots (processes that ended are missed). */
function otherCpuSeconds(before: Map<number, number>, after: Map<number, number>): number | null {
  if (after.size === 0) return null;
  let ticks = 0;
  for (const [pid, now] of after) ticks += Math.max(0, now - (before.get(pid) ?? 0));
  return ticks / 100;
}
