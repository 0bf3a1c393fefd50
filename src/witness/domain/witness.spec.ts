import { randomBytes } from 'node:crypto';
import { checkpointText } from '../../ledger/domain/checkpoint';
import { consistencyRanges, leafHash, proofHashes, rootAt } from '../../ledger/domain/merkle';
import { cosignedBy, generateSigner, parseNote, parseWitnessKey, signNote } from '../../ledger/domain/note';
import { nodesFromTiles, tileKey, TileTree } from '../../ledger/domain/tiles';
import { parseVerifierKey } from '../../verifier/note';
import { verifyCheckpoint, trustPolicy } from '../../verifier/checkpoint';
import { addCheckpoint, cosignerFromSeed, WitnessState } from './witness';

const ORIGIN = 'zhurnal.test/ledger';
const log = generateSigner(ORIGIN).signer;
const witness = cosignerFromSeed('archive.test/witness', randomBytes(32));
const logKeys = [parseVerifierKey(log.vkey)];
const NOW = 1_790_000_000n;

// A log of 300 leaves, its tiles, and signed checkpoints at any size.
const tree = TileTree.empty();
const tiles = new Map<string, Buffer>();
for (let i = 0; i < 300; i++) tree.append(leafHash(Buffer.from(`event ${i}`)));
tree.drain().forEach((tile) => tiles.set(tileKey(tile.level, tile.index), tile.hashes));
const nodes = nodesFromTiles(tiles);
const root = (size: number) => rootAt(size, nodes);
const checkpoint = (size: number, signer = log, rootHash = root(size)) => signNote(checkpointText(ORIGIN, { size, root: rootHash }), [signer]);
const proof = (from: number, to: number) => (from === 0 || from === to ? [] : proofHashes(consistencyRanges(from, to), nodes).map((h) => h.toString('base64')));
const request = (old: number, size: number, lines = proof(old, size), note = checkpoint(size)) => `old ${old}\n${lines.map((l) => `${l}\n`).join('')}\n${note}`;

describe('a witness (C2SP tlog-witness add-checkpoint, tlog-cosignature/v1)', () => {
  it('given no state, when a signed checkpoint comes from size 0, then it co-signs it and remembers size and root', () => {
    const answer = addCheckpoint(request(0, 100), {}, logKeys, witness, NOW);
    expect(answer.status).toBe(200);
    expect(answer.state).toEqual({ [ORIGIN]: { size: '100', root: root(100).toString('base64') } });
    const text = parseNote(checkpoint(100))!.text;
    expect(cosignedBy(text, answer.body, parseWitnessKey(witness.vkey))).toBe(true);
    // The independent verifier accepts the checkpoint with the co-signature, quorum 1.
    const cosigned = checkpoint(100) + answer.body;
    expect(verifyCheckpoint(cosigned, trustPolicy([log.vkey], [witness.vkey], 1)).cosigners).toHaveLength(1);
  });

  it('given it co-signed 100, it co-signs 250 with a consistency proof from 100, and refuses a proof that does not verify (422)', () => {
    const state: WitnessState = { [ORIGIN]: { size: '100', root: root(100).toString('base64') } };
    expect(addCheckpoint(request(100, 250), state, logKeys, witness, NOW).status).toBe(200);
    const wrong = proof(100, 250);
    wrong[0] = Buffer.alloc(32, 1).toString('base64');
    expect(addCheckpoint(request(100, 250, wrong), state, logKeys, witness, NOW).status).toBe(422);
    // A fork: a checkpoint of 250 whose tree does not extend the 100 it saw.
    const forked = checkpoint(250, log, Buffer.alloc(32, 7));
    expect(addCheckpoint(request(100, 250, proof(100, 250), forked), state, logKeys, witness, NOW).status).toBe(422);
  });

  it('answers 409 with the size it knows (text/x.tlog.size) when the old size is not it, and 409 for another root at the same size', () => {
    const state: WitnessState = { [ORIGIN]: { size: '100', root: root(100).toString('base64') } };
    expect(addCheckpoint(request(0, 250), state, logKeys, witness, NOW)).toMatchObject({ status: 409, contentType: 'text/x.tlog.size', body: '100\n' });
    expect(addCheckpoint(request(100, 100, [], checkpoint(100, log, Buffer.alloc(32, 3))), state, logKeys, witness, NOW).status).toBe(409);
    expect(addCheckpoint(request(100, 100, []), state, logKeys, witness, NOW).status).toBe(200);
    // Size 0 too: another root than the one co-signed is a fork.
    const empty: WitnessState = { [ORIGIN]: { size: '0', root: root(1).toString('base64') } };
    expect(addCheckpoint(request(0, 0, [], checkpoint(0, log, Buffer.alloc(32, 5))), empty, logKeys, witness, NOW).status).toBe(409);
  });

  it('refuses an unknown log (404), a checkpoint not signed by the log key (403), an old size above the new (400) and a malformed body (400)', () => {
    const other = generateSigner('other.test/log').signer;
    expect(addCheckpoint(`old 0\n\n${signNote(checkpointText('other.test/log', { size: 5, root: root(5) }), [other])}`, {}, logKeys, witness, NOW).status).toBe(404);
    expect(addCheckpoint(request(0, 100, [], checkpoint(100, generateSigner(ORIGIN).signer)), {}, logKeys, witness, NOW).status).toBe(403);
    expect(addCheckpoint(request(200, 100, []), {}, logKeys, witness, NOW).status).toBe(400);
    expect(addCheckpoint('old x\n\n' + checkpoint(5), {}, logKeys, witness, NOW).status).toBe(400);
    expect(addCheckpoint('nothing', {}, logKeys, witness, NOW).status).toBe(400);
  });
});
