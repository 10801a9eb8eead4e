DROP INDEX "agent_transcripts_key_idx";--> statement-breakpoint
ALTER TABLE "agent_transcripts" ALTER COLUMN "entry" SET DATA TYPE json;--> statement-breakpoint
ALTER TABLE "agent_transcripts" ADD COLUMN "uuid" text;--> statement-breakpoint
CREATE UNIQUE INDEX "agent_transcripts_key_uuid_key" ON "agent_transcripts" USING btree ("store_key","uuid");--> statement-breakpoint
CREATE INDEX "agent_transcripts_key_idx" ON "agent_transcripts" USING btree ("store_key" text_pattern_ops,"id");