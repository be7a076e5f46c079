-- The scheduler's reconciliation reports (modules/scheduler/README.md): one row per run,
-- written by whichever instance ran it (the periodic job's lease holder, or POST
-- /v1/admin/reconciliation on any instance), so GET answers the same from every
-- instance. report is the JSON the routes answer, byte for byte (it holds the run's
-- started_at). Only the newest runs are kept (reconciliation.keep_runs).
CREATE TABLE IF NOT EXISTS reconciliation_runs (
  id BIGINT NOT NULL AUTO_INCREMENT,
  run_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  status VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  recorded_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  duration_ms BIGINT NOT NULL,
  mismatch_count INT NOT NULL,
  report MEDIUMTEXT NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uq_reconciliation_runs_run (run_id),
  CONSTRAINT chk_reconciliation_runs_status CHECK (status IN ('OK', 'MISMATCH'))
) ENGINE=InnoDB;
