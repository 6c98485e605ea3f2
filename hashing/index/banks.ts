/**
 * BankSet: several banks in one HashIndex, each with its own match radius, some of them allowlists.
 *
 * A bank is a named set of hashes (a victim-support organisation's bank, staydown's own cases, ...). An
 * allowlist bank holds hashes that must never raise an alert - a meme, a platform logo, a stock photo that
 * collides with banked material. One query answers for all banks at once: the index is probed with the
 * largest radius any bank needs, and each hit is kept only within its own bank's radius. When the query is
 * within an allowlist bank's radius of an allowlisted hash, the result says so and `alert` is false.
 */
import { MAX_BANK } from './entry-store.ts';
import { DEFAULT_RADIUS, HashIndex, MAX_RADIUS, type Hit, type IndexEntry } from './hash-index.ts';

export interface BankConfig {
  /** Stable name (the database's bank key). */
  name: string;
  /** Match radius in bits, 0..63. Default 31. */
  radius?: number;
  /** True for a bank of hashes that must never alert. */
  allowlist?: boolean;
}

export interface BankHit extends Hit {
  bankName: string;
}

export interface BankQueryResult {
  /** Hits in ordinary banks, each within its bank's radius, closest first. */
  hits: BankHit[];
  /** Hits in allowlist banks, each within its bank's radius, closest first. */
  allowlisted: BankHit[];
  /** True when there are hits and none of them is overridden by the allowlist. */
  alert: boolean;
}

/** A row for `BankSet.load`: an index entry with its bank named instead of numbered. */
export type BankRow = Omit<IndexEntry, 'bank'> & { bank: string };

interface Bank {
  id: number;
  name: string;
  radius: number;
  allowlist: boolean;
}

export class BankSet {
  readonly index: HashIndex;
  private readonly byName = new Map<string, Bank>();
  private readonly byId: (Bank | undefined)[] = [];
  /** Radius per bank id, as the index takes it; -1 for ids not in use. */
  private radii = new Int16Array(MAX_BANK + 1).fill(-1);

  constructor(banks: BankConfig[] = [], index: HashIndex = new HashIndex()) {
    this.index = index;
    for (const b of banks) this.define(b);
  }

  /** Adds a bank, or changes an existing bank's radius and allowlist flag; returns its id. */
  define(config: BankConfig): number {
    const radius = config.radius ?? DEFAULT_RADIUS;
    if (typeof config.name !== 'string' || config.name.length === 0 || config.name.length > 200) {
      throw new Error('A bank needs a name of 1 to 200 characters.');
    }
    if (!Number.isInteger(radius) || radius < 0 || radius > MAX_RADIUS) {
      throw new Error(`Bank '${config.name}' has radius ${String(radius)}; a radius must be an integer from 0 to ${MAX_RADIUS} bits.`);
    }
    let bank = this.byName.get(config.name);
    if (!bank) {
      const id = this.byId.findIndex((b) => b === undefined);
      const free = id >= 0 ? id : this.byId.length;
      if (free > MAX_BANK) throw new Error(`Cannot add bank '${config.name}': an index holds at most ${MAX_BANK + 1} banks.`);
      bank = { id: free, name: config.name, radius, allowlist: false };
      this.byName.set(bank.name, bank);
      this.byId[free] = bank;
    }
    bank.radius = radius;
    bank.allowlist = config.allowlist === true;
    this.radii[bank.id] = radius;
    return bank.id;
  }

  /** Drops a bank and all its entries from the index; returns how many entries went. */
  drop(name: string): number {
    const bank = this.require(name);
    const removed = this.index.removeBank(bank.id);
    this.byName.delete(name);
    this.byId[bank.id] = undefined;
    this.radii[bank.id] = -1;
    return removed;
  }

  /** The bank id for a name (throws for an unknown bank). */
  id(name: string): number {
    return this.require(name).id;
  }

  banks(): BankConfig[] {
    return [...this.byName.values()].map((b) => ({ name: b.name, radius: b.radius, allowlist: b.allowlist }));
  }

  add(row: BankRow): void {
    this.index.add({ ...row, bank: this.require(row.bank).id });
  }

  /** Adds a stream of rows (e.g. from the database) to the index; returns how many. */
  async load(rows: AsyncIterable<BankRow> | Iterable<BankRow>): Promise<number> {
    let n = 0;
    for await (const row of rows) {
      this.add(row);
      n++;
    }
    this.index.refresh();
    return n;
  }

  removeMaterial(materialId: number): number {
    return this.index.removeMaterial(materialId);
  }

  /** Matches one hash against every bank in one index query. */
  query(hash: string | Uint32Array): BankQueryResult {
    const hits: BankHit[] = [];
    const allowlisted: BankHit[] = [];
    for (const hit of this.index.query(hash, this.radii)) {
      const bank = this.byId[hit.bank];
      if (!bank) continue;
      const named: BankHit = { ...hit, bankName: bank.name };
      (bank.allowlist ? allowlisted : hits).push(named);
    }
    return { hits, allowlisted, alert: hits.length > 0 && allowlisted.length === 0 };
  }

  private require(name: string): Bank {
    const bank = this.byName.get(name);
    if (!bank) throw new Error(`There is no bank named '${name}' in this index; define it first.`);
    return bank;
  }
}
