import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The emulator's secrets, kept in one JSON file in dataDir (values in plaintext: dev and tests only). */

export interface Attributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  attributes: Attributes;
}

export interface SecretRecord {
  name: string; // as first created; lookups are case-insensitive like Key Vault
  versions: SecretVersion[]; // creation order; the last one is "latest"
}

export interface DeletedRecord extends SecretRecord {
  deletedDate: number;
  scheduledPurgeDate: number;
}

interface State {
  secrets: Record<string, SecretRecord>;
  deleted: Record<string, DeletedRecord>;
}

export const RECOVERABLE_DAYS = 90;

export const now = () => Math.floor(Date.now() / 1000);

export class Store {
  private readonly file: string;
  readonly state: State;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'state.json');
    // A corrupt file is an error rather than a silent reset: losing dev secrets quietly hides bugs.
    this.state = existsSync(this.file)
      ? (JSON.parse(readFileSync(this.file, 'utf8')) as State)
      : { secrets: {}, deleted: {} };
  }

  save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /** Soft-deleted secrets past their purge date disappear, as in Key Vault. */
  purgeExpired(at: number): void {
    let changed = false;
    for (const [key, record] of Object.entries(this.state.deleted)) {
      if (record.scheduledPurgeDate <= at) {
        delete this.state.deleted[key];
        changed = true;
      }
    }
    if (changed) this.save();
  }
}
