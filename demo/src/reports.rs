//! The displays' reports (FrameGate's `onReport`, sent with
//! `navigator.sendBeacon` to `POST /api/reports`), kept in a bounded ring
//! per camera and served back by `GET /api/reports` for the page's chart.
//!
//! A report is checked field by field and stored as the server rebuilt
//! it, so whatever a page (or anyone on this machine) posts, the ring
//! holds only numbers under known names, never more than [`RING`] per
//! camera, and a body is never larger than [`MAX_REPORT_BODY`].

use std::collections::VecDeque;
use std::fmt;

use frameseal::DropReason;
use serde_json::{Map, Value, json};

/// Largest report body accepted, bytes (a report is about 200).
pub const MAX_REPORT_BODY: usize = 4096;
/// Reports kept per camera (about 17 minutes at one per 2 s).
pub const RING: usize = 512;

/// Why a report was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ReportError {
    TooLarge,
    NotJson,
    Shape(&'static str),
    UnknownCamera(String),
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::TooLarge => write!(f, "a report body is at most {MAX_REPORT_BODY} bytes"),
            ReportError::NotJson => {
                f.write_str("a report is JSON: {\"camera\": id, \"report\": {...}}")
            }
            ReportError::Shape(what) => write!(f, "not a FrameGate report: {what}"),
            ReportError::UnknownCamera(id) => write!(f, "no camera '{id}'"),
        }
    }
}

/// A count in a report: a whole number from 0 to 2^53.
fn count(value: Option<&Value>, what: &'static str) -> Result<u64, ReportError> {
    value
        .and_then(Value::as_u64)
        .filter(|n| *n <= 1 << 53)
        .ok_or(ReportError::Shape(what))
}

/// Checks a posted body; returns the camera id and the report as stored.
pub fn parse(body: &[u8]) -> Result<(String, Value), ReportError> {
    if body.len() > MAX_REPORT_BODY {
        return Err(ReportError::TooLarge);
    }
    let value: Value = serde_json::from_slice(body).map_err(|_| ReportError::NotJson)?;
    let camera = value
        .get("camera")
        .and_then(Value::as_str)
        .ok_or(ReportError::Shape("no camera"))?
        .to_string();
    let report = value
        .get("report")
        .and_then(Value::as_object)
        .ok_or(ReportError::Shape("no report object"))?;
    let mut dropped = Map::new();
    let given = report
        .get("dropped")
        .and_then(Value::as_object)
        .ok_or(ReportError::Shape("no dropped object"))?;
    for (reason, n) in given {
        // The core's drop reasons (SPEC §3), by the names FrameGate
        // reports them under; any other name is refused.
        if !DropReason::ALL.iter().any(|r| r.name() == reason) {
            return Err(ReportError::Shape("unknown drop reason"));
        }
        let n = count(Some(n), "a drop count is not a number")?;
        if n > 0 {
            dropped.insert(reason.clone(), Value::from(n));
        }
    }
    let stored = json!({
        "intervalMs": count(report.get("intervalMs"), "intervalMs")?,
        "accepted": count(report.get("accepted"), "accepted")?,
        "drawn": count(report.get("drawn"), "drawn")?,
        "stalledMs": count(report.get("stalledMs"), "stalledMs")?,
        "dropped": dropped,
    });
    Ok((camera, stored))
}

/// The rings, one per camera, in the hub's camera order.
pub struct Reports {
    slugs: Vec<&'static str>,
    rings: Vec<VecDeque<Value>>,
}

impl Reports {
    pub fn new(slugs: Vec<&'static str>) -> Reports {
        let rings = slugs.iter().map(|_| VecDeque::new()).collect();
        Reports { slugs, rings }
    }

    /// Stores a checked report received at `at_ms` (server time).
    pub fn add(&mut self, camera: &str, mut report: Value, at_ms: u64) -> Result<(), ReportError> {
        let index = self
            .slugs
            .iter()
            .position(|s| *s == camera)
            .ok_or_else(|| ReportError::UnknownCamera(camera.chars().take(40).collect()))?;
        if let Some(object) = report.as_object_mut() {
            object.insert("atMs".to_string(), Value::from(at_ms));
        }
        if let Some(ring) = self.rings.get_mut(index) {
            if ring.len() == RING {
                ring.pop_front();
            }
            ring.push_back(report);
        }
        Ok(())
    }

    /// `{"nowMs": .., "cameras": {id: [report, ...]}}`, oldest first.
    pub fn to_json(&self, now_ms: u64) -> Value {
        let cameras: Map<String, Value> = self
            .slugs
            .iter()
            .zip(&self.rings)
            .map(|(slug, ring)| {
                (
                    slug.to_string(),
                    Value::Array(ring.iter().cloned().collect()),
                )
            })
            .collect();
        json!({ "nowMs": now_ms, "cameras": cameras })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"camera":"porch","report":{"intervalMs":2000,"accepted":9,"drawn":9,
        "dropped":{"foreign-key":3,"stale":0},"stalledMs":0}}"#;

    #[test]
    fn a_report_is_rebuilt_from_known_fields() {
        let (camera, report) = parse(GOOD.as_bytes()).unwrap();
        assert_eq!(camera, "porch");
        assert_eq!(
            report.to_string(),
            r#"{"accepted":9,"drawn":9,"dropped":{"foreign-key":3},"intervalMs":2000,"stalledMs":0}"#
        );
    }

    #[test]
    fn every_drop_reason_of_the_core_may_be_reported() {
        for reason in DropReason::ALL {
            let body = format!(
                r#"{{"camera":"porch","report":{{"intervalMs":1,"accepted":0,"drawn":0,
                "stalledMs":0,"dropped":{{"{}":2}}}}}}"#,
                reason.name()
            );
            let (_, report) = parse(body.as_bytes()).unwrap();
            assert_eq!(report["dropped"][reason.name()], 2, "{reason:?}");
        }
    }

    #[test]
    fn bad_reports_are_refused() {
        assert_eq!(
            parse(&[b' '; MAX_REPORT_BODY + 1]),
            Err(ReportError::TooLarge)
        );
        assert_eq!(parse(b"{"), Err(ReportError::NotJson));
        for bad in [
            r#"{"report":{}}"#,
            r#"{"camera":"porch"}"#,
            r#"{"camera":"porch","report":{"intervalMs":1,"accepted":1,"drawn":1,"stalledMs":0}}"#,
            r#"{"camera":"porch","report":{"intervalMs":1,"accepted":-1,"drawn":1,"stalledMs":0,"dropped":{}}}"#,
            r#"{"camera":"porch","report":{"intervalMs":1,"accepted":1,"drawn":1,"stalledMs":0,"dropped":{"evil":1}}}"#,
            r#"{"camera":"porch","report":{"intervalMs":1,"accepted":1,"drawn":1,"stalledMs":0,"dropped":{"Stale":1}}}"#,
        ] {
            assert!(
                matches!(parse(bad.as_bytes()), Err(ReportError::Shape(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_ring_is_bounded_per_camera() {
        let mut reports = Reports::new(vec!["nursery", "porch"]);
        let (_, report) = parse(GOOD.as_bytes()).unwrap();
        for i in 0..(RING as u64 + 10) {
            reports.add("porch", report.clone(), i).unwrap();
        }
        assert!(matches!(
            reports.add("attic", report, 0),
            Err(ReportError::UnknownCamera(_))
        ));
        let json = reports.to_json(5);
        let porch = json["cameras"]["porch"].as_array().unwrap();
        assert_eq!(porch.len(), RING);
        assert_eq!(porch[0]["atMs"], 10);
        assert_eq!(json["cameras"]["nursery"].as_array().unwrap().len(), 0);
        assert_eq!(json["nowMs"], 5);
    }
}
