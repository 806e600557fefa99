import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/** One technique or sub-technique as an alert shows it. */
export interface Technique {
  id: string;
  name: string;
  /** Tactic shortnames (e.g. `initial-access`), as ATT&CK lists them for the technique. */
  tactics: string[];
  /** The parent technique of a sub-technique. */
  parent?: { id: string; name: string };
}

export interface Tactic {
  id: string;
  shortname: string;
  name: string;
}

/** What an ATT&CK id in a payload or the config resolves to. */
export type TechniqueResolution =
  | {
      found: true;
      technique: Technique;
      /** The id asked for, when it was revoked and `technique` is its replacement. */
      replaces?: string;
      /** Deprecated in ATT&CK with no replacement; kept as named. */
      deprecated?: boolean;
      warning?: string;
    }
  | { found: false; warning: string };

const TECHNIQUE_ID = /^T\d{4}(\.\d{3})?$/;
const TACTIC_ID = /^TA\d{4}$/;

/** Whether `text` is exactly a tactic id such as `TA0002`. */
export const isTacticId = (text: string): boolean => TACTIC_ID.test(text);

/** Whether `text` is exactly a technique or sub-technique id such as `T1059` or `T1059.001`. */
export const isTechniqueId = (text: string): boolean => TECHNIQUE_ID.test(text);

/** `T1059.001` (any case, trimmed) → canonical id, or undefined when it is not shaped like one. */
export function techniqueId(text: string): string | undefined {
  const id = text.trim().toUpperCase();
  return TECHNIQUE_ID.test(id) ? id : undefined;
}

const techniqueRow = z.object({
  id: z.string().regex(TECHNIQUE_ID),
  name: z.string(),
  tactics: z.array(z.string()),
  parent: z.string().nullable(),
  deprecated: z.boolean(),
  revoked: z.boolean(),
  revoked_by_final: z.string().nullable(),
});
const tacticRow = z.object({
  id: z.string().regex(TACTIC_ID),
  shortname: z.string(),
  name: z.string(),
  /** The tactic's column in the Enterprise matrix (its kill-chain position); null for one outside it. */
  matrix_order: z.number().int().nullable().optional(),
});
const techniquesFile = z.object({ attack_version: z.string(), techniques: z.array(techniqueRow) });
const tacticsFile = z.object({ attack_version: z.string(), tactics: z.array(tacticRow) });

type TechniqueRow = z.infer<typeof techniqueRow>;
type TacticRow = z.infer<typeof tacticRow>;

/** `Initial Access`, `initial_access`, `Initial_Access`, `initial-access` → `initial-access`. */
const tacticKey = (text: string) =>
  text
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');

/**
 * The ATT&CK Enterprise table (data/attack/, built by scripts/build-attack-table.py): checks
 * technique and tactic ids, maps a revoked id to the technique that replaced it (following
 * chains) and gives names.
 */
export class AttackTable {
  private readonly techniques = new Map<string, TechniqueRow>();
  private readonly tactics = new Map<string, Tactic>();
  /** The matrix's columns, left to right. */
  readonly killChain: readonly Tactic[];

  private constructor(
    readonly version: string,
    techniques: TechniqueRow[],
    tactics: TacticRow[],
  ) {
    for (const t of techniques) this.techniques.set(t.id, t);
    for (const t of tactics) {
      const tactic = { id: t.id, shortname: t.shortname, name: t.name };
      for (const key of [t.id, t.shortname, tacticKey(t.name)]) this.tactics.set(key.toLowerCase(), tactic);
    }
    // By matrix position, where the file gives one (stable: file order otherwise); a tactic outside the matrix last.
    const position = (t: TacticRow) => t.matrix_order ?? Number.MAX_SAFE_INTEGER;
    this.killChain = [...tactics].sort((a, b) => position(a) - position(b)).map((t) => this.tactics.get(t.id.toLowerCase())!);
  }

  /** From the parsed contents of techniques.json and tactics.json; throws naming what is wrong. */
  static fromJson(techniques: unknown, tactics: unknown): AttackTable {
    const t = techniquesFile.parse(techniques);
    const a = tacticsFile.parse(tactics);
    return new AttackTable(t.attack_version, t.techniques, a.tactics);
  }

  /** A technique by id; a revoked id gives its replacement and a deprecated one itself, each with a warning. */
  technique(id: string): TechniqueResolution {
    const canonical = techniqueId(id);
    const row = canonical && this.techniques.get(canonical);
    if (!row) return { found: false, warning: `ATT&CK ${JSON.stringify(id.slice(0, 40))} is not a technique of ATT&CK ${this.version}` };
    if (row.revoked) {
      const replacement = row.revoked_by_final ? this.techniques.get(row.revoked_by_final) : undefined;
      if (!replacement) return { found: false, warning: `ATT&CK ${row.id} is revoked with no replacement` };
      const technique = this.view(replacement);
      return {
        found: true,
        technique,
        replaces: row.id,
        warning: `ATT&CK ${row.id} (${row.name}) is revoked; replaced by ${technique.id} (${technique.name})`,
      };
    }
    if (row.deprecated) {
      return { found: true, technique: this.view(row), deprecated: true, warning: `ATT&CK ${row.id} (${row.name}) is deprecated` };
    }
    return { found: true, technique: this.view(row) };
  }

  /** A tactic by id (`TA0001`), shortname (`initial-access`) or name (`Initial Access`, `Initial_Access`). */
  tactic(ref: string): Tactic | undefined {
    return this.tactics.get(ref.trim().toLowerCase()) ?? this.tactics.get(tacticKey(ref));
  }

  private view(row: TechniqueRow): Technique {
    const parent = row.parent ? this.techniques.get(row.parent) : undefined;
    return { id: row.id, name: row.name, tactics: row.tactics, ...(parent ? { parent: { id: parent.id, name: parent.name } } : {}) };
  }
}

const DATA_DIR = join('data', 'attack');

/**
 * Where the tables are: the first ancestor of this file (src/ under ts-node and jest,
 * dist/src/ after tsc) that holds data/attack/techniques.json.
 */
export function attackDataDir(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, DATA_DIR, 'techniques.json'))) return join(dir, DATA_DIR);
    if (dirname(dir) === dir) throw new Error(`ATT&CK tables not found: no ${join(DATA_DIR, 'techniques.json')} above ${start}`);
  }
}

/** Reads data/attack/techniques.json and tactics.json. */
export function loadAttackTable(dir: string = attackDataDir()): AttackTable {
  const read = (name: string): unknown => JSON.parse(readFileSync(join(dir, name), 'utf8'));
  return AttackTable.fromJson(read('techniques.json'), read('tactics.json'));
}

let shipped: AttackTable | undefined;

/** The table in data/attack/, read once per process: it does not change while Warden runs. */
export const shippedAttackTable = (): AttackTable => (shipped ??= loadAttackTable());
