import { api } from '../api.js';
import { h } from '../dom.js';
import { say } from '../ui.js';

/**
 * The credential appears only after a click, masked until shown, with a copy button. It lives
 * only in this panel's input (never in storage or the URL) and is removed after `seconds`
 * and whenever the page is left; a copy in the clipboard is cleared then too.
 */
export function revealPanel(path, seconds, cleanups) {
  const panel = h(
    'section',
    { class: 'action reveal', 'aria-labelledby': 'reveal-heading' },
    h('h3', { id: 'reveal-heading' }, 'Credential'),
  );
  let timer;
  let copied = false;
  const hide = () => {
    clearTimeout(timer);
    panel.querySelector('.secret')?.remove();
    button.hidden = false;
    // The copy must not outlive the panel: best effort (a browser may refuse a write without focus).
    if (copied) navigator.clipboard.writeText('').catch(() => {});
    copied = false;
  };
  cleanups.push(hide);
  const button = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        button.disabled = true;
        try {
          const { value } = await api('POST', `${path}/reveal`);
          const input = h('input', {
            type: 'password',
            readonly: true,
            value,
            id: 'secret-value',
            autocomplete: 'off',
            spellcheck: 'false',
            'aria-label': 'Credential',
          });
          const show = h(
            'button',
            {
              type: 'button',
              'aria-pressed': 'false',
              onclick: () => {
                const shown = input.type === 'text';
                input.type = shown ? 'password' : 'text';
                show.setAttribute('aria-pressed', String(!shown));
                show.textContent = shown ? 'Show' : 'Mask';
              },
            },
            'Show',
          );
          const copy = h(
            'button',
            {
              type: 'button',
              onclick: async () => {
                try {
                  await navigator.clipboard.writeText(input.value);
                  copied = true;
                  say('Copied to the clipboard; it is cleared when the credential is hidden.');
                } catch {
                  input.type = 'text';
                  input.select();
                  say('Copying is not allowed here; the value is selected, copy it with your keyboard.');
                }
              },
            },
            'Copy',
          );
          button.hidden = true;
          panel.append(
            h(
              'div',
              { class: 'secret' },
              input,
              show,
              copy,
              h(
                'p',
                { class: 'hint' },
                `Hidden again after ${seconds} s or when you leave this page. Every reveal is audited and alerted.`,
              ),
            ),
          );
          timer = setTimeout(() => {
            hide();
            say('The credential was hidden again.');
          }, seconds * 1000);
        } catch (error) {
          say(`Reveal refused: ${error.message}`, 'error');
        } finally {
          button.disabled = false;
        }
      },
    },
    'Reveal credential',
  );
  panel.append(button);
  return panel;
}
