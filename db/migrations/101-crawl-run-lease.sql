-- A crawl run is worked by one worker at a time. The worker holds a lease on the run and renews it while
-- it crawls; a second job for the same run (a duplicate delivery, a re-enqueue) finds the lease alive and
-- leaves the run alone. A worker that dies stops renewing: once its lease has lapsed the scheduler's sweep
-- enqueues the run again and the next worker resumes it from the persisted frontier.
ALTER TABLE crawl_runs
  ADD COLUMN lease_owner text,
  ADD COLUMN lease_expires_at timestamptz;

CREATE INDEX crawl_runs_active_lease ON crawl_runs (lease_expires_at) WHERE status IN ('queued', 'running');
