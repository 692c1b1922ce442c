import type { AlertContent } from '../message';
import { actionOf, factsOf, headline, titleOf } from '../message';

// Slack mrkdwn treats these three as control characters (https://api.slack.com/reference/surfaces/formatting#escaping).
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * An incoming-webhook message (https://api.slack.com/messaging/webhooks): `text` is required
 * (Slack answers 400 `no_text` without it) and is the notification fallback; blocks carry the facts
 * and a link button to the request in the console.
 */
export function slackBody(alert: AlertContent) {
  const text = escape(headline(alert)) + (alert.link ? ` <${alert.link}|${escape(actionOf(alert.type))}>` : '');
  return {
    text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: titleOf(alert.type).slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: escape(alert.summary).slice(0, 3000) } },
      {
        type: 'section',
        fields: factsOf(alert).map((fact) => ({
          type: 'mrkdwn',
          text: `*${fact.title}*\n${escape(fact.value)}`.slice(0, 2000),
        })),
      },
      ...(alert.link
        ? [
            {
              type: 'actions',
              elements: [
                {
                  type: 'button',
                  text: { type: 'plain_text', text: actionOf(alert.type).slice(0, 75) },
                  url: alert.link,
                  ...(alert.severity === 'critical' ? { style: 'danger' } : { style: 'primary' }),
                },
              ],
            },
          ]
        : []),
    ],
  };
}
