/**
 * Events never change once stored; a new shape of an event is a new schemaVersion. Readers see the
 * newest shape: each upcaster lifts one type from one version to the next.
 */
export interface Upcaster {
  readonly type: string;
  readonly fromVersion: number;
  upcast(data: unknown): unknown;
}

export class UpcasterRegistry {
  private readonly byType = new Map<string, Map<number, Upcaster>>();

  constructor(upcasters: readonly Upcaster[] = []) {
    for (const upcaster of upcasters) this.register(upcaster);
  }

  register(upcaster: Upcaster): void {
    const versions = this.byType.get(upcaster.type) ?? new Map<number, Upcaster>();
    if (versions.has(upcaster.fromVersion)) {
      throw new Error(`two upcasters for ${upcaster.type} v${upcaster.fromVersion}`);
    }
    versions.set(upcaster.fromVersion, upcaster);
    this.byType.set(upcaster.type, versions);
  }

  knows(type: string): boolean {
    return this.byType.has(type);
  }

  /** Applies the chain of upcasters from the stored version up to the newest one known. */
  upcast(type: string, schemaVersion: number, data: unknown): { schemaVersion: number; data: unknown } {
    const versions = this.byType.get(type);
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
