/**
 * `npm run verify -- <export dir | receipt file (.tlog-proof) | URL> [--key <vkey>]... [--witness <vkey>]...
 * [--quorum N] [--entry <file>] [--token T]`: the independent, offline verifier of the audit ledger
 * (src/verifier/README.md). It prints what it checked, one line each, then OK or FAILED: <reason>.
 * Exit code 0 when everything verified, 1 when a verification failed, 2 on bad usage.
 */
import { readFileSync, statSync } from 'node:fs';
import { trustPolicy, witnessPolicy } from '../verifier/checkpoint';
import { VerificationError } from '../verifier/errors';
import { verifyExportDir } from '../verifier/export';
import { verifyReceipt } from '../verifier/receipt';
import { isSliceDir, verifySliceDir } from '../verifier/slice';
import { verifyLogUrl } from '../verifier/url';

export const USAGE = `usage: npm run verify -- <export dir | school slice dir | receipt file (.tlog-proof) | URL> [options]
  --key <vkey>       trusted log key, <name>+<key id>+<base64 key> (repeatable; required for receipts and URLs)
  --witness <vkey>   trusted witness cosignature key (repeatable)
  --quorum <n>       how many distinct witnesses must cosign (default: all given)
  --entry <file>     the entry's bytes, to check a receipt is about this entry
  --token <token>    bearer token to read entry bundles in URL mode`;

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

interface Arguments {
  target: string;
  keys: string[];
  witnesses: string[];
  quorum?: number;
  entry?: string;
  token?: string;
}

class UsageError extends Error {}

/** Runs the verifier on command-line arguments and returns the exit code (the process wrapper below sets it). */
export async function runVerify(argv: readonly string[], output: Output): Promise<number> {
  let args: Arguments;
  let mode: 'export' | 'receipt' | 'url';
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      output.out(USAGE);
      return 0;
    }
    args = parseArguments(argv);
    mode = detectMode(args);
  } catch (error) {
    if (error instanceof UsageError || error instanceof VerificationError) {
      output.err(`usage error: ${error.message}`);
      output.err(USAGE);
      return 2;
    }
    throw error;
  }

  const onCheck = (line: string): void => output.out(line);
  const started = Date.now();
  const onProgress = (leaves: bigint, total: bigint): void => output.err(`verified ${leaves} of ${total} entries (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const trust = { keys: args.keys, witnesses: args.witnesses, quorum: args.quorum, onCheck };
  try {
    if (mode === 'export' && (await isSliceDir(args.target))) {
      await verifySliceDir(args.target, trust);
    } else if (mode === 'export') {
      await verifyExportDir(args.target, { ...trust, onProgress });
    } else if (mode === 'receipt') {
      const entry = args.entry === undefined ? undefined : readFileSync(args.entry);
      verifyReceipt(readFileSync(args.target), { ...trust, entry });
    } else {
      await verifyLogUrl(args.target, { ...trust, token: args.token, onProgress });
    }
  } catch (error) {
    output.out(`FAILED: ${(error as Error).message}`);
    return 1;
  }
  output.out('OK');
  return 0;
}

function parseArguments(argv: readonly string[]): Arguments {
  const args: Partial<Arguments> & { keys: string[]; witnesses: string[] } = { keys: [], witnesses: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      if (args.target !== undefined) throw new UsageError(`more than one thing to verify ("${args.target}" and "${arg}")`);
      args.target = arg;
      continue;
    }
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--key':
        args.keys.push(value());
        break;
      case '--witness':
        args.witnesses.push(value());
        break;
      case '--quorum': {
        const v = value();
        if (!/^(0|[1-9][0-9]*)$/.test(v)) throw new UsageError(`--quorum ${v} is not a whole number`);
        args.quorum = Number(v);
        break;
      }
      case '--entry':
        args.entry = value();
        break;
      case '--token':
        args.token = value();
        break;
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }
  if (args.target === undefined) throw new UsageError('nothing to verify: give an export directory, a receipt file or a URL');
  return args as Arguments;
}

function detectMode(args: Arguments): 'export' | 'receipt' | 'url' {
  let mode: 'export' | 'receipt' | 'url';
  if (/^https?:\/\//i.test(args.target)) {
    mode = 'url';
  } else {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(args.target).isDirectory();
    } catch {
      throw new UsageError(`${args.target} is not a URL, and no such file or directory`);
    }
    mode = isDirectory ? 'export' : 'receipt';
  }
  if (args.entry !== undefined && mode !== 'receipt') throw new UsageError('--entry only applies to a receipt');
  if (args.token !== undefined && mode !== 'url') throw new UsageError('--token only applies to a URL');
  if (args.entry !== undefined) {
    try {
      statSync(args.entry);
    } catch {
      throw new UsageError(`--entry ${args.entry}: no such file`);
    }
  }
  if (mode !== 'export' && args.keys.length === 0) throw new UsageError(`verifying a ${mode} needs the log's key (--key): it is the only thing the verification can rest on`);
  // A malformed key or quorum is a usage error, reported before anything is read.
  if (args.keys.length > 0) trustPolicy(args.keys, args.witnesses, args.quorum);
  else witnessPolicy(args.witnesses, args.quorum);
  return mode;
}

if (require.main === module) {
  const output: Output = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) };
  runVerify(process.argv.slice(2), output).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`verify crashed: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
