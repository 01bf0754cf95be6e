-- Hand-written: the retention prunes' work lists (src/retention), oldest sent first. Partial: unsent
-- rows (the relay's and the mailer's work) are never pruned, so they need no entry here.
CREATE INDEX "outbox_events_sent_idx" ON "outbox_events" ("sent_at") WHERE "sent_at" IS NOT NULL;
CREATE INDEX "email_deliveries_sent_idx" ON "email_deliveries" ("sent_at") WHERE "sent_at" IS NOT NULL;
