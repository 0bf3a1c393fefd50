import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 15: the audit ledger (docs/architecture.md, "Audit ledger"). `ledger_leaf` maps each leaf
 * index to its event; `ledger_tile` keeps the RFC 6962 tree as C2SP tlog-tiles (the concatenated
 * hashes of one tile; the rightmost tile of a level grows in place); `ledger_state` is where the
 * one builder stands; `ledger_checkpoint` the signed tree heads, one per size, with the witnesses'
 * co-signature lines appended to the note as they come (`cosigners` counts them); `ledger_witness`
 * the size each witness last co-signed;
 * `ledger_audit` the outcome of the last check of the tree against the log.
 */
export class AuditLedger1763900000120 implements MigrationInterface {
  name = 'AuditLedger1763900000120';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE ledger_leaf (idx bigint PRIMARY KEY, event_id uuid NOT NULL UNIQUE)`);
    await runner.query(`CREATE TABLE ledger_tile (level smallint NOT NULL, idx bigint NOT NULL, hashes bytea NOT NULL, PRIMARY KEY (level, idx))`);
    // Hashes do not compress: storing them as they are spares the attempt.
    await runner.query(`ALTER TABLE ledger_tile ALTER COLUMN hashes SET STORAGE EXTERNAL`);
    await runner.query(`CREATE TABLE ledger_state (id smallint PRIMARY KEY CHECK (id = 1), size bigint NOT NULL, position text NOT NULL)`);
    await runner.query(`INSERT INTO ledger_state (id, size, position) VALUES (1, 0, '0.0')`);
    // The last check of the stored tree against the log (src/ledger/ledger-audit.ts), for /health on every instance.
    await runner.query(
      `CREATE TABLE ledger_audit (id smallint PRIMARY KEY CHECK (id = 1), checked_at timestamptz NOT NULL, checked_size bigint NOT NULL, broken_at bigint, reason text)`,
    );
    await runner.query(
      `CREATE TABLE ledger_checkpoint (size bigint PRIMARY KEY, root bytea NOT NULL, note text NOT NULL, signed_at timestamptz NOT NULL, cosigners integer NOT NULL DEFAULT 0)`,
    );

    // The last size each witness co-signed: the old size of the next add-checkpoint (C2SP tlog-witness).
    await runner.query(`CREATE TABLE ledger_witness (name text PRIMARY KEY, size bigint NOT NULL)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE ledger_witness, ledger_audit, ledger_checkpoint, ledger_state, ledger_tile, ledger_leaf`);
  }
}
