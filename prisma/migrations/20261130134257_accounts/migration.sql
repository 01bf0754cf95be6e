-- AlterTable
ALTER TABLE "users" ADD COLUMN     "email_verified_at" TIMESTAMPTZ(3),
ADD COLUMN     "token_version" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "account_tokens" (
    "id" BIGSERIAL NOT NULL,
    "user_id" INTEGER NOT NULL,
    "purpose" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "outbox_id" BIGINT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "account_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "account_tokens_token_hash_key" ON "account_tokens"("token_hash");

-- CreateIndex
CREATE UNIQUE INDEX "account_tokens_outbox_id_key" ON "account_tokens"("outbox_id");

-- CreateIndex
CREATE INDEX "account_tokens_user_purpose_idx" ON "account_tokens"("user_id", "purpose");

-- AddForeignKey
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written below: what Prisma's schema language cannot express.
-- Accounts made before verification existed count as verified (only new sign-ups start unverified).
UPDATE "users" SET "email_verified_at" = "created_at" WHERE "email_verified_at" IS NULL;
ALTER TABLE "users" ADD CONSTRAINT "users_token_version_check" CHECK ("token_version" >= 0);
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_purpose_check" CHECK ("purpose" IN ('verify', 'reset'));
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_token_hash_check" CHECK ("token_hash" ~ '^[0-9a-f]{64}$');
-- Account emails (verification, reset, "someone tried to sign up") are their own outbox topic.
ALTER TABLE "outbox_events" DROP CONSTRAINT "outbox_events_topic_check";
ALTER TABLE "outbox_events" ADD CONSTRAINT "outbox_events_topic_check" CHECK ("topic" IN ('charge', 'email', 'account-email'));
