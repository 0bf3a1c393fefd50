import { cosignedBy, parseNote, parseWitnessKey, WitnessKey } from './domain/note';
import { LedgerProofs } from './ledger-proofs';
import { LedgerStore, StoredCheckpoint } from './ledger-store';

export interface Witness extends WitnessKey {
  /** Its tlog-witness submission prefix: `<url>/add-checkpoint`. */
  readonly url: string;
}

/** LEDGER_WITNESSES: `<url> <vkey>` pairs, comma-separated. */
export function parseWitnesses(setting: string | undefined): Witness[] {
  if (!setting || setting.trim() === '') return [];
  return setting.split(',').map((entry) => {
    const [url, vkey, ...rest] = entry.trim().split(/\s+/);
    // The entry is not echoed: a signing key pasted here by mistake would reach the log.
    if (!url || !vkey || rest.length > 0 || !/^https?:\/\/\S+$/.test(url)) throw new Error('LEDGER_WITNESSES entries read "<url> <vkey>", comma-separated');
    return { ...parseWitnessKey(vkey), url: url.replace(/\/+$/, '') };
  });
}

export interface WitnessOutcome {
  readonly witness: string;
  readonly cosigned: boolean;
  /** Why not, in plain words. */
  readonly reason?: string;
}

/**
 * Asks each configured witness to co-sign a new checkpoint (C2SP tlog-witness add-checkpoint): the
 * last size that witness co-signed and the consistency proof from it, then the signed checkpoint.
 * A witness that knows another size answers 409 with it: asked once more from there. Each
 * co-signature is checked before it is added to the checkpoint; a witness that is down or refuses
 * only leaves this checkpoint short of it (the next one asks again, from its last size).
 */
export class LedgerWitnesses {
  constructor(
    private readonly store: LedgerStore,
    private readonly proofs: LedgerProofs,
    readonly witnesses: readonly Witness[],
    private readonly timeoutMs = 5000,
  ) {}

  async collect(checkpoint: StoredCheckpoint): Promise<WitnessOutcome[]> {
    const outcomes = await Promise.all(this.witnesses.map((witness) => this.ask(witness, checkpoint)));
    // One line a witness: a second collect of the same checkpoint (two builders around a lock
    // handover) must not count a witness twice towards the quorum.
    const stored = (await this.store.checkpointAt(checkpoint.size))?.note ?? checkpoint.note;
    const signedAlready = new Set(parseNote(stored)?.signatures.map((s) => `${s.name}+${s.keyId.toString('hex')}`) ?? []);
    await this.store.addCosignatures(
      checkpoint.size,
      outcomes.flatMap((o, i) => (o.line && !signedAlready.has(`${this.witnesses[i].name}+${this.witnesses[i].keyId.toString('hex')}`) ? [o.line] : [])),
    );
    return outcomes.map(({ witness, cosigned, reason }) => ({ witness, cosigned, reason }));
  }

  private async ask(witness: Witness, checkpoint: StoredCheckpoint): Promise<WitnessOutcome & { line?: string }> {
    const no = (reason: string) => ({ witness: witness.name, cosigned: false, reason });
    try {
      let old = await this.store.witnessSize(witness.name);
      for (let attempt = 0; attempt < 2; attempt++) {
        if (old > checkpoint.size) return no(`it co-signed a larger tree (${old}) than this checkpoint`);
        const proof = old > 0 && old < checkpoint.size ? (await this.proofs.consistency(old, checkpoint.size)).proof : [];
        const body = `old ${old}\n${proof.map((hash) => `${hash}\n`).join('')}\n${checkpoint.note}`;
        const answer = await fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body, signal: AbortSignal.timeout(this.timeoutMs) });
        const text = await answer.text();
        if (answer.status === 409 && (answer.headers.get('content-type') ?? '').startsWith('text/x.tlog.size') && /^\d+\n?$/.test(text)) {
          old = Number(text.trim());
          continue;
        }
        if (answer.status !== 200) return no(`it answered ${answer.status}: ${text.trim().slice(0, 200)}`);
        const parsed = parseNote(checkpoint.note);
        const line = text.split('\n').map((l) => `${l}\n`).find((l) => parsed !== null && cosignedBy(parsed.text, l, witness));
        if (!line) return no('its answer holds no valid co-signature by its key');
        await this.store.saveWitnessSize(witness.name, checkpoint.size);
        return { witness: witness.name, cosigned: true, line };
      }
      return no('it disagreed twice about the size it co-signed last');
    } catch (error) {
      return no(`it could not be reached: ${(error as Error).message}`);
    }
  }
}
