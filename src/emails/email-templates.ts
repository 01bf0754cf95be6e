import type { EmailTemplate } from '../queues/queues.constants.js';

export interface OrderEmailData {
  orderId: number;
  customerName: string;
  totalCents: number;
  currency: string;
  /** What refunds took back so far (cancelled and refunded orders say it). */
  refundedCents: number;
  /** The carrier's reference, once shipped. */
  trackingReference: string | null;
  items: { name: string; quantity: number; unitPriceCents: number }[];
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

// A formatter is costly to build (locale data) and the currencies are few: one each, kept.
const formatters = new Map<string, Intl.NumberFormat>();
const money = (cents: number, currency: string) => {
  let format = formatters.get(currency);
  if (!format) formatters.set(currency, (format = new Intl.NumberFormat('en-US', { style: 'currency', currency })));
  return format.format(cents / 100);
};

/** Names come from users and admins: never trusted as HTML. */
const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

type Copy = {
  subject: (order: OrderEmailData) => string;
  lead: string;
  outro: string;
  /** A line about the order's state (refund, tracking), after the total; text, escaped for HTML. */
  note?: (order: OrderEmailData) => string | undefined;
};

const COPY: Record<EmailTemplate, Copy> = {
  'order-confirmation': {
    subject: (order) => `Your order #${order.orderId} is confirmed`,
    lead: 'Thank you for your order. Your payment was received and we are preparing your items.',
    outro: 'We will write again when it ships.',
  },
  'payment-failed': {
    subject: (order) => `Payment for order #${order.orderId} failed`,
    lead: 'We could not charge your payment method, so your order was cancelled and nothing was charged.',
    outro: 'You are welcome to place the order again with another payment method.',
  },
  'order-cancelled': {
    subject: (order) => `Your order #${order.orderId} is cancelled`,
    lead: 'Your order was cancelled as you asked, and its items were released.',
    note: (order) =>
      order.refundedCents > 0
        ? `Refund: ${money(order.refundedCents, order.currency)} to your payment method.`
        : undefined,
    outro: 'We hope to see you again.',
  },
  'order-shipped': {
    subject: (order) => `Your order #${order.orderId} has shipped`,
    lead: 'Good news: your order is on its way.',
    note: (order) => (order.trackingReference ? `Tracking reference: ${order.trackingReference}` : undefined),
    outro: 'Thank you for shopping with us.',
  },
  'order-refunded': {
    subject: (order) => `A refund for order #${order.orderId}`,
    lead: 'We refunded your payment method for this order.',
    note: (order) => `Refunded so far: ${money(order.refundedCents, order.currency)}.`,
    outro: 'It may take a few days to show on your statement.',
  },
};

/** The text and HTML bodies of an order email. */
export function renderOrderEmail(template: EmailTemplate, order: OrderEmailData): RenderedEmail {
  const copy = COPY[template];
  const lines = order.items.map(
    (item) => `${item.quantity} × ${item.name} — ${money(item.quantity * item.unitPriceCents, order.currency)}`,
  );
  const total = money(order.totalCents, order.currency);
  const note = copy.note?.(order);
  const text = [
    `Hello ${order.customerName},`,
    '',
    copy.lead,
    '',
    `Order #${order.orderId}`,
    ...lines.map((line) => `  ${line}`),
    `Total: ${total}`,
    ...(note ? [note] : []),
    '',
    copy.outro,
  ].join('\n');
  const html = `<!doctype html>
<html><body style="font-family: sans-serif">
<p>Hello ${escapeHtml(order.customerName)},</p>
<p>${copy.lead}</p>
<h2>Order #${order.orderId}</h2>
<ul>${lines.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>
<p><strong>Total: ${total}</strong></p>
${note ? `<p>${escapeHtml(note)}</p>\n` : ''}<p>${copy.outro}</p>
</body></html>`;
  return { subject: copy.subject(order), text, html };
}
