/**
 * Elements are built with text nodes only (never innerHTML), so nothing from the service or a
 * person's input can become markup or script.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const clear = (el) => el.replaceChildren();

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

/** "4 min 05 s", or "ended" once past. */
export function timeLeft(iso, nowMs = Date.now()) {
  const ms = Date.parse(iso) - nowMs;
  if (!(ms > 0)) return 'ended';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  if (d > 0) return `${d} d ${hh} h`;
  if (hh > 0) return `${hh} h ${String(mm).padStart(2, '0')} min`;
  return `${mm} min ${ss} s`;
}

/** A live countdown; the page's cleanup stops it. */
export function countdown(iso, cleanups) {
  const el = h('span', { class: 'countdown' }, timeLeft(iso));
  const timer = setInterval(() => (el.textContent = timeLeft(iso)), 1000);
  cleanups.push(() => clearInterval(timer));
  return el;
}

export const statusLabel = (status) => status.replace(/_/g, ' ');

export const badge = (status) => h('span', { class: `badge badge-${status}` }, statusLabel(status));

export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2)}`;
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
  );
}

export const list = (items) => items.join(', ') || '—';
