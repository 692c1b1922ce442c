import { clear, h } from './dom.js';

/** The notice line under the header, and navigation, shared by every page. */
let renderer = () => {};
export const setRenderer = (fn) => (renderer = fn);

export function say(message, kind = 'info') {
  const notice = document.getElementById('notice');
  clear(notice);
  if (message)
    notice.append(h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : null }, message));
}

/** Shows another page; resolves once it is drawn (so a notice said afterwards stays). */
export function navigate(path) {
  history.pushState(null, '', path);
  return renderer();
}

/** A refusal or failure from the service, in its own words. */
export const problemText = (error) => error?.message ?? String(error);
