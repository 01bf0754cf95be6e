-- CreateTable
CREATE TABLE "api_keys" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "last4" TEXT NOT NULL,
    "limits" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");

-- Hand-written below: what Prisma's schema language cannot express.
-- One active key per name: operators revoke by what `list` shows, and two live "partner-a" keys
-- would make that ambiguous. Revoked keys keep their name (audit), so a name is free again after revocation.
CREATE UNIQUE INDEX "api_keys_active_name_key" ON "api_keys" ("name") WHERE "revoked_at" IS NULL;
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_key_hash_check" CHECK ("key_hash" ~ '^[0-9a-f]{64}$');
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_name_check" CHECK (char_length("name") BETWEEN 1 AND 64);
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_limits_check" CHECK ("limits" IS NULL OR jsonb_typeof("limits") = 'object');
