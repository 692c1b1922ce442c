import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { setupHarness, PEOPLE, type Harness } from '../helpers/harness';
import { spawnWorker, waitForOutput } from '../helpers/worker-process';

let h: Harness;
t.before(async () => {
  h = await setupHarness(t, { worker: false });
});

const who = (id: string) => ({ id, isAdmin: false });

/** History payloads are bytes (JSON, possibly base64 in transit): decode every one to text. */
function historyText(history: unknown): string {
  return JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    // protobufjs turns payload bytes into base64 strings in toJSON.
    if (key === 'data' && typeof value === 'string') return `${value} ${Buffer.from(value, 'base64').toString('utf8')}`;
    // Buffers reach the replacer already turned into { type: 'Buffer', data: [...] }.
    const bytes = value as { type?: string; data?: number[] } | null;
    if (bytes && bytes.type === 'Buffer' && Array.isArray(bytes.data)) return Buffer.from(bytes.data).toString('utf8');
    return value;
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

void t.test('the credential value appears nowhere: workflow history, PostgreSQL, logs', async (t) => {
  const { account, secretValue } = await h.createAccount();
  const needles = [secretValue, Buffer.from(secretValue).toString('base64'), Buffer.from(secretValue).toString('hex')];
  const logs: string[] = [];
  const worker = spawnWorker(h, logs);
  t.teardown(() => void worker.kill('SIGKILL'));
  await waitForOutput(logs, /worker ready/);

  const created = await h.lifecycle.create(who(PEOPLE.requester), {
    accountId: account.id,
    scenario: 'admin_compromise',
    justification: 'Global admins compromised',
    incidentRef: 'SEC-1',
  });
  await h.lifecycle.decide(who(PEOPLE.approver1), created.id, 'approve', null);
  await h.lifecycle.decide(who(PEOPLE.approver2), created.id, 'approve', null);
  const first = await h.lifecycle.reveal(who(PEOPLE.requester), created.id);
  const second = await h.lifecycle.reveal(who(PEOPLE.requester), created.id);
  t.equal(first.value, secretValue, 'the requester did get the credential');
  t.equal(second.value, secretValue, 'twice');
  await h.lifecycle.close(who(PEOPLE.requester), created.id, 'revoked attacker sessions');
  await h.lifecycle.review(who(PEOPLE.reviewer), created.id, {
    actionsAppropriate: true,
    signInLogsReviewed: true,
    credentialRotated: false,
    findings: 'see SEC-1',
    followUpTicket: 'SEC-2',
  });
  const handle = h.temporal.workflow.getHandle(created.id);
  await handle.result();

  const history = historyText(await handle.fetchHistory());
  t.ok(history.includes(account.secretName), 'the history search does see payloads (the secret name is there)');
  for (const needle of needles) t.notOk(history.includes(needle), 'workflow history does not hold the credential');

  // A logical dump: every row of every table of this schema, as text.
  const { rows: tables } = await h.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
    [h.schema],
  );
  t.ok(tables.length >= 5, 'dumped every table');
  let dump = '';
  for (const { table_name } of tables) {
    const { rows } = await h.pool.query(`SELECT * FROM ${h.schema}.${table_name}`);
    dump += JSON.stringify(rows);
  }
  t.ok(dump.includes(created.id), 'the dump holds the request');
  for (const needle of needles) t.notOk(dump.includes(needle), 'the PostgreSQL dump does not hold the credential');

  // The raw cluster files, WAL included, after a checkpoint flushes everything to disk.
  await h.pool.query('CHECKPOINT').catch(() => {});
  const dataDir = h.stack.postgresDataDir;
  if (dataDir) {
    const raw = Buffer.from(secretValue);
    const hits = filesUnder(dataDir).filter((file) => statSync(file).size > 0 && readFileSync(file).includes(raw));
    t.same(hits, [], 'no PostgreSQL data or WAL file contains the credential');
  }

  worker.kill('SIGTERM');
  await new Promise((resolve) => worker.once('exit', resolve));
  const logText = logs.join('');
  t.match(logText, /worker ready/, 'worker logs were captured');
  for (const needle of needles) t.notOk(logText.includes(needle), 'worker logs do not hold the credential');
});
