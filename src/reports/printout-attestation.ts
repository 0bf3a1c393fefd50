import { Inject, Injectable } from '@nestjs/common';
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { formatPosition } from '../event-store/position';
import { LedgerProofs } from '../ledger/ledger-proofs';
import { Attestation } from './formats/pdf';
import { ReportDocument } from './formats/report-document';

/**
 * What a printout's footer carries (SPEC §7, seed 003 §15–16): the audit ledger's latest served
 * checkpoint — origin, size, root hash and signature lines as text, the whole signed note as a QR
 * code — so a printed page can be checked against the electronic journal with `npm run verify`;
 * and always the log's position and a SHA-256 of the printed data (the checkpoint, signed every few
 * seconds, may not cover the last events printed; before the ledger has one, that line alone).
 */
@Injectable()
export class PrintoutAttestation {
  constructor(
    private readonly proofs: LedgerProofs,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async of(document: ReportDocument): Promise<Attestation> {
    // Always the log's position and the data's digest: a checkpoint signed a few seconds before may not cover the last events printed.
    const position = formatPosition(await this.store.head());
    const digest = createHash('sha256').update(canonicalize(document) ?? '').digest('hex');
    const data = `Позиция журнала событий ${position}, SHA-256 напечатанных данных ${digest}`;
    const checkpoint = await this.proofs.latestCheckpoint();
    if (checkpoint) {
      const [origin, size, root, , ...signatures] = checkpoint.note.split('\n').filter((line, i, all) => i < all.length - 1 || line !== '');
      return {
        lines: [`Контрольная точка журнала аудита (C2SP tlog-checkpoint) ${origin}`, `Размер ${size}, корень ${root}`, ...signatures.filter((line) => line.startsWith('\u2014 ')), data],
        qr: checkpoint.note,
      };
    }
    return { lines: [data], qr: `zhurnal-printout\nposition ${position}\nsha256 ${digest}\n` };
  }
}
