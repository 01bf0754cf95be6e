-- Hand-written
-- Two migrations of the same day each re-created this CHECK with their own new topic (accounts:
-- account-email; order lifecycle: refund); the later one, applied last, left the other out.
ALTER TABLE "outbox_events" DROP CONSTRAINT "outbox_events_topic_check";
ALTER TABLE "outbox_events" ADD CONSTRAINT "outbox_events_topic_check"
  CHECK ("topic" IN ('charge', 'email', 'refund', 'account-email'));
