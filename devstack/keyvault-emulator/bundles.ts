import { badParameter } from './errors';
import { RECOVERABLE_DAYS, type Attributes, type DeletedRecord, type SecretVersion } from './store';

/** The JSON shapes Key Vault answers with: SecretBundle, DeletedSecretBundle and paged lists. */

const MAX_PAGE = 25; // Key Vault's own ceiling for maxresults

function attributesOut(a: Attributes) {
  return {
    enabled: a.enabled,
    ...(a.nbf !== undefined ? { nbf: a.nbf } : {}),
    ...(a.exp !== undefined ? { exp: a.exp } : {}),
    created: a.created,
    updated: a.updated,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: RECOVERABLE_DAYS,
  };
}

export function bundle(base: string, name: string, v: SecretVersion, withValue: boolean) {
  return {
    ...(withValue ? { value: v.value } : {}),
    id: `${base}/secrets/${name}/${v.version}`,
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    ...(v.tags ? { tags: v.tags } : {}),
    attributes: attributesOut(v.attributes),
  };
}

export function deletedBundle(base: string, record: DeletedRecord) {
  const latest = record.versions[record.versions.length - 1]!;
  return {
    recoveryId: `${base}/deletedsecrets/${record.name}`,
    deletedDate: record.deletedDate,
    scheduledPurgeDate: record.scheduledPurgeDate,
    ...bundle(base, record.name, latest, false),
  };
}

/** Key Vault pages with an opaque $skiptoken in nextLink; here it is just an offset. */
export function page<T>(items: T[], url: URL, base: string): { value: T[]; nextLink: string | null } {
  const rawMax = url.searchParams.get('maxresults');
  const max = rawMax === null ? MAX_PAGE : Number(rawMax);
  if (!Number.isInteger(max) || max < 1 || max > MAX_PAGE)
    throw badParameter(`The value of maxresults must be an integer between 1 and ${MAX_PAGE}.`);
  const offset = Number(url.searchParams.get('$skiptoken') ?? '0');
  if (!Number.isInteger(offset) || offset < 0) throw badParameter('Invalid $skiptoken.');
  const value = items.slice(offset, offset + max);
  if (offset + max >= items.length) return { value, nextLink: null };
  const next = new URL(`${base}${url.pathname}`);
  next.searchParams.set('api-version', url.searchParams.get('api-version') ?? '');
  next.searchParams.set('$skiptoken', String(offset + max));
  next.searchParams.set('maxresults', String(max));
  return { value, nextLink: next.toString() };
}
