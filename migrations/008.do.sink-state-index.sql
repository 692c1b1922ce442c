-- /readyz asks, on every probe, which alert sinks are failing: the latest delivery_failing or
-- delivery_recovered row per sink. Without this index that is a scan of the whole audit trail.
CREATE INDEX audit_events_sink_state_idx ON audit_events ((details->>'sink'), seq DESC)
  WHERE action IN ('alert.delivery_failing', 'alert.delivery_recovered');
