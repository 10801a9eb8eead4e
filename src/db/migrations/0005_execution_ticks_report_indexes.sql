ALTER TABLE "task_executions" ADD COLUMN "scheduled_for" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "reports_user_idx" ON "reports" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "reports_session_idx" ON "reports" USING btree ("session_id");--> statement-breakpoint
CREATE INDEX "reports_execution_idx" ON "reports" USING btree ("execution_id");--> statement-breakpoint
CREATE UNIQUE INDEX "task_executions_tick_key" ON "task_executions" USING btree ("task_id","scheduled_for");