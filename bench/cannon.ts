import autocannon from 'autocannon';

/**
 * autocannon in a process of its own (so it does not take the server's core), started by
 * http-reads.bench.ts with a JSON argument: `{ origin, paths, token, connections, seconds }`.
 * Each connection goes through `paths` in turn (one path: the same request again and again).
 * Prints autocannon's result as JSON on stdout.
 */
interface CannonArgs {
  origin: string;
  paths: string[];
  token: string;
  /** More request headers (e.g. a browser's Accept-Encoding). */
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
}

const args = JSON.parse(process.argv[2]) as CannonArgs;
autocannon(
  {
    url: args.origin,
    connections: args.connections,
    duration: args.seconds,
    headers: { authorization: `Bearer ${args.token}`, ...args.headers },
    requests: args.paths.map((path) => ({ method: 'GET' as const, path })),
  },
  (error, result) => {
    if (error) {
      console.error(error);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(JSON.stringify(result));
  },
);
