/** The tables of schema version 1 (PRAGMA user_version holds the version). */
export const SCHEMA_V1 = `
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY,
  chain TEXT NOT NULL,
  chain_hash TEXT NOT NULL,
  input TEXT NOT NULL,
  options TEXT NOT NULL,
  status TEXT NOT NULL,
  output TEXT,
  error TEXT,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  model_calls INTEGER NOT NULL,
  journaled INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at INTEGER
) STRICT;
CREATE TABLE journal (
  run_id TEXT NOT NULL,
  step_key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (run_id, step_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX journal_by_seq ON journal (run_id, seq);
`;

export interface RunRow {
  run_id: string;
  chain: string;
  chain_hash: string;
  input: string;
  options: string;
  status: string;
  output: string | null;
  error: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  model_calls: number;
  journaled: number;
  created_at: number;
  updated_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
}

export interface JournalRow {
  step_key: string;
  kind: string;
  value: string;
  at: number;
}
