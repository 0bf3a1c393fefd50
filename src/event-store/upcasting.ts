/**
 * Events never change once stored; a new shape of an event is a new schemaVersion (STYLE.md §3).
 * Each upcaster lifts one type from one version to the next, and readers see the current shape.
 */
export interface Upcaster {
  readonly type: string;
  readonly fromVersion: number;
  upcast(data: unknown): unknown;
}

/** A declaration of event schemas that cannot work: thrown when it is built, so at start-up. */
export class EventSchemaError extends Error {}

export interface EventSchemaDeclaration {
  /** Every event type written, with its current schema version (1 until its shape first changes). */
  readonly current: Readonly<Record<string, number>>;
  /** For every type at version n > 1, one upcaster from each of 1 … n − 1. */
  readonly upcasters?: readonly Upcaster[];
  /**
   * A type not declared: refused at write (the service's own declaration), or written as version 1
   * (`open`: tests and benchmarks that append types of their own).
   */
  readonly undeclared?: 'refuse' | 'version 1';
}

/**
 * The contract of event shapes: the current version of each type, stamped on every write, and the
 * upcaster chain that lifts every older stored version to it on every read. Checked as a whole
 * when built — a gap in a chain, an upcaster past its type's current version or for a type with no
 * current version is an EventSchemaError then, not an old event read wrong some day later.
 */
export class EventSchemas {
  private readonly current: ReadonlyMap<string, number>;
  private readonly steps = new Map<string, Map<number, Upcaster>>();
  private readonly undeclared: 'refuse' | 'version 1';

  constructor(declaration: EventSchemaDeclaration) {
    this.current = new Map(Object.entries(declaration.current));
    this.undeclared = declaration.undeclared ?? 'refuse';
    for (const [type, version] of this.current) {
      if (!Number.isInteger(version) || version < 1) throw new EventSchemaError(`${type}: its current schema version must be a whole number from 1, not ${version}`);
    }
    for (const upcaster of declaration.upcasters ?? []) this.add(upcaster);
    for (const [type, version] of this.current) {
      for (let from = 1; from < version; from++) {
        if (!this.steps.get(type)?.has(from)) throw new EventSchemaError(`${type} is at schema version ${version}, but no upcaster lifts version ${from} to ${from + 1}`);
      }
    }
  }

  /** Every type at version 1 (a new type's only version), no upcasters, undeclared types allowed. */
  static open(): EventSchemas {
    return new EventSchemas({ current: {}, undeclared: 'version 1' });
  }

  private add(upcaster: Upcaster): void {
    const current = this.current.get(upcaster.type);
    if (current === undefined) throw new EventSchemaError(`an upcaster for ${upcaster.type}, which declares no current schema version`);
    if (!Number.isInteger(upcaster.fromVersion) || upcaster.fromVersion < 1 || upcaster.fromVersion >= current) {
      throw new EventSchemaError(`an upcaster for ${upcaster.type} from version ${upcaster.fromVersion}, past its current version ${current}`);
    }
    const versions = this.steps.get(upcaster.type) ?? new Map<number, Upcaster>();
    if (versions.has(upcaster.fromVersion)) throw new EventSchemaError(`two upcasters for ${upcaster.type} from version ${upcaster.fromVersion}`);
    versions.set(upcaster.fromVersion, upcaster);
    this.steps.set(upcaster.type, versions);
  }

  /** The version a new event of this type is stored with. */
  currentVersion(type: string): number {
    const version = this.current.get(type);
    if (version !== undefined) return version;
    if (this.undeclared === 'version 1') return 1;
    throw new EventSchemaError(`event type ${type} declares no current schema version (src/event-schemas.ts)`);
  }

  /** Whether events of this type may need lifting (the read path skips the others). */
  knows(type: string): boolean {
    return this.steps.has(type);
  }

  /** The stored event lifted to its type's current version (a version from a newer service stays as it is). */
  upcast(type: string, schemaVersion: number, data: unknown): { schemaVersion: number; data: unknown } {
    const versions = this.steps.get(type);
    if (!versions) return { schemaVersion, data };
    let version = schemaVersion;
    let current = data;
    for (let step = versions.get(version); step; step = versions.get(version)) {
      current = step.upcast(current);
      version += 1;
    }
    return { schemaVersion: version, data: current };
  }
}
