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

export function navigate(path) {
  history.pushState(null, '', path);
  void renderer();
}

/** A refusal or failure from the service, in its own words. */
export const problemText = (error) => error?.message ?? String(error);
