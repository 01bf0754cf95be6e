import type { AccountEmailJobData } from '../queues/queues.constants.js';
import type { RenderedEmail } from './email-templates.js';

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

const hours = (seconds: number) =>
  seconds >= 7_200 ? `${Math.round(seconds / 3_600)} hours` : `${Math.round(seconds / 60)} minutes`;

/**
 * The text and HTML bodies of an account email. `token`: the single-use token (verify, reset),
 * which exists only here and in the sent message. Names come from users: never trusted as HTML.
 */
export function renderAccountEmail(
  kind: AccountEmailJobData['kind'],
  name: string,
  token?: { value: string; ttlS: number },
): RenderedEmail {
  const copy = {
    verify: {
      subject: 'Verify your email address',
      lead: 'Welcome! To confirm this address is yours, send this code to POST /auth/verify as {"token": "<code>"}:',
      outro: "If you did not sign up, ignore this email: the account stays unverified and can't place orders.",
    },
    reset: {
      subject: 'Reset your password',
      lead: 'Someone (hopefully you) asked to reset your password. Send this code with your new password to POST /auth/password-reset/confirm as {"token": "<code>", "newPassword": "…"}:',
      outro: 'If you did not ask for this, ignore this email: your password stays as it is.',
    },
    'signup-attempt': {
      subject: 'Someone tried to sign up with your address',
      lead: 'Someone tried to create an account with this email address, but it already has one. Nothing was changed.',
      outro:
        'If it was you, log in instead; if you forgot your password (or never finished signing up), ask for a reset: POST /auth/password-reset.',
    },
  }[kind];
  const code = token ? [`  ${token.value}`, '', `It works once, for ${hours(token.ttlS)}.`] : [];
  const text = [`Hello ${name},`, '', copy.lead, '', ...code, '', copy.outro].join('\n');
  const html = `<!doctype html>
<html><body style="font-family: sans-serif">
<p>Hello ${escapeHtml(name)},</p>
<p>${escapeHtml(copy.lead)}</p>
${token ? `<p><code>${token.value}</code></p><p>It works once, for ${hours(token.ttlS)}.</p>` : ''}
<p>${escapeHtml(copy.outro)}</p>
</body></html>`;
  return { subject: copy.subject, text, html };
}
