//! FrameGate's decisions without a canvas or a timer: which decoded picture
//! may be drawn, when the display stops being live, and what each
//! interval's report says. The JS binding does the drawing and the timers
//! and asks this module what to do; time is passed in (milliseconds on any
//! monotonic clock).
//!
//! Rules:
//! - Drawing order: decodes finish out of order, so a picture is drawn only
//!   if its frame is newer than the one on the canvas (by capture time, then
//!   by acceptance order); an older one is discarded.
//! - Liveness (SPEC §4): the gate is stalled (the canvas is marked not live
//!   and `onStall` is called once) when nothing has been drawn for
//!   `stall_after_ms` (counted from construction or from the last drawn
//!   frame), **or** when the picture on screen was captured more than
//!   `stall_after_ms` ago. The second rule is what stops a relay that
//!   delays every frame (by less than the verifier's maximum age) from
//!   passing old pictures off as live. The next drawn frame that is itself
//!   recent resumes it (`onResume`); an old one is drawn but stays marked.
//!   Capture times are given on the gate's monotonic clock (the binding
//!   converts the frame's wall-clock `timestamp_us` once, when it is
//!   verified), so the rule needs no second clock.
//! - Reports: at most one per `report_interval_ms`, only for an interval in
//!   which something happened (a verdict, a drawn frame, a stall beginning
//!   or ending), with counts for that interval alone. A long quiet spell
//!   produces no report, and the next interval starts with its first event.

use alloc::vec::Vec;

use crate::verify::DropReason;

/// Liveness and report settings (SPEC §4 FrameGate options).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GateConfig {
    /// Mark the display not live after this long without a drawn frame; `None` = never.
    pub stall_after_ms: Option<f64>,
    /// Shortest time between two reports.
    pub report_interval_ms: f64,
}

impl Default for GateConfig {
    /// Stall after 3 s, report at most every 10 s.
    fn default() -> GateConfig {
        GateConfig {
            stall_after_ms: Some(3000.0),
            report_interval_ms: 10_000.0,
        }
    }
}

/// What happened during one report interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// How long the interval lasted.
    pub interval_ms: f64,
    /// Frames accepted by the verifier.
    pub accepted: u64,
    /// Frames drawn to the canvas.
    pub drawn: u64,
    /// Frames dropped, by reason (indexed like [`DropReason::ALL`]).
    pub dropped: [u64; DropReason::ALL.len()],
    /// Time within the interval during which the display was not live.
    pub stalled_ms: f64,
}

impl Report {
    /// Drops of one reason in this interval.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason.index()]
    }
}

/// Something the binding must act on.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The display is not live: dim the picture and label it. `started` is
    /// true only the first time (call `onStall` then); later events refresh
    /// the label.
    Stalled {
        /// Time since the last drawn frame (or construction).
        ms_since_last_drawn: f64,
        /// How long ago the picture on screen was captured; `None` when
        /// nothing has been drawn.
        picture_age_ms: Option<f64>,
        /// First event of this stall.
        started: bool,
    },
    /// A report is due.
    Report(Report),
}

/// A decode in flight; it may be drawn only while [`Gate::may_draw`] says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DrawTicket {
    timestamp_us: u64,
    order: u64,
}

/// FrameGate's state: last drawn frame, liveness and the current interval.
#[derive(Clone, Debug)]
pub struct Gate {
    config: GateConfig,
    last_drawn_at: f64,
    /// When the picture on screen was captured (monotonic ms), if any.
    shown_captured_at: Option<f64>,
    newest_drawn: Option<DrawTicket>,
    next_order: u64,
    /// When the current stall began (the deadline that passed), if stalled.
    stalled_since: Option<f64>,
    /// Last time the stall label was refreshed.
    stall_label_at: f64,
    interval: Report,
    interval_start: f64,
    interval_active: bool,
}

/// How often the "not live for N s" label is refreshed while stalled.
pub const STALL_LABEL_REFRESH_MS: f64 = 1000.0;

impl Gate {
    /// A gate created at `now`.
    pub fn new(config: GateConfig, now: f64) -> Gate {
        Gate {
            config,
            last_drawn_at: now,
            shown_captured_at: None,
            newest_drawn: None,
            next_order: 0,
            stalled_since: None,
            stall_label_at: now,
            interval: Report::default(),
            interval_start: now,
            interval_active: false,
        }
    }

    /// Whether the display is currently marked not live.
    pub fn is_stalled(&self) -> bool {
        self.stalled_since.is_some()
    }

    /// Records the verifier's verdict on a pushed frame.
    pub fn record_verdict(&mut self, verdict: Result<(), DropReason>, now: f64) {
        self.touch(now);
        match verdict {
            Ok(()) => self.interval.accepted += 1,
            Err(reason) => self.interval.dropped[reason.index()] += 1,
        }
    }

    /// Starts the decode of an accepted frame captured at `timestamp_us`.
    pub fn begin_draw(&mut self, timestamp_us: u64) -> DrawTicket {
        let ticket = DrawTicket {
            timestamp_us,
            order: self.next_order,
        };
        self.next_order += 1;
        ticket
    }

    /// Whether a finished decode may be drawn: only over an older picture.
    pub fn may_draw(&self, ticket: DrawTicket) -> bool {
        self.newest_drawn.is_none_or(|drawn| ticket > drawn)
    }

    /// Records that `ticket`'s picture, captured at `captured_at` (on the
    /// same monotonic clock as `now`), was drawn at `now`. Returns true when
    /// this ends a stall (call `onResume`): only a picture that is itself
    /// recent does.
    pub fn drawn(&mut self, ticket: DrawTicket, captured_at: f64, now: f64) -> bool {
        self.touch(now);
        self.newest_drawn = Some(ticket);
        self.last_drawn_at = now;
        self.shown_captured_at = Some(captured_at);
        self.interval.drawn += 1;
        let recent = self
            .config
            .stall_after_ms
            .is_none_or(|after| now < self.live_until(after));
        match self.stalled_since {
            Some(since) if recent => {
                self.stalled_since = None;
                self.interval.stalled_ms += now - since.max(self.interval_start);
                true
            }
            _ => false,
        }
    }

    /// Counts `pictures` more drawn in this interval's report, beside the
    /// newest one recorded by [`Gate::drawn`]: a `<video>` element is read a
    /// few times a second, and every picture it presented in between counts.
    pub fn also_drawn(&mut self, pictures: u64) {
        self.interval.drawn += pictures;
    }

    /// When the display stops being live unless something newer is drawn:
    /// `after` past the last draw or past the shown picture's capture,
    /// whichever is earlier.
    fn live_until(&self, after: f64) -> f64 {
        let since = self
            .shown_captured_at
            .map_or(self.last_drawn_at, |c| c.min(self.last_drawn_at));
        since + after
    }

    fn picture_age(&self, now: f64) -> Option<f64> {
        self.shown_captured_at.map(|c| (now - c).max(0.0))
    }

    /// What is due at `now`, and when to ask again (`None`: only after the
    /// next push).
    pub fn poll(&mut self, now: f64) -> (Vec<Event>, Option<f64>) {
        let mut events = Vec::new();
        if let Some(after) = self.config.stall_after_ms {
            let deadline = self.live_until(after);
            match self.stalled_since {
                None if now >= deadline => {
                    self.touch(now);
                    // Counted from when the display was last live, but never
                    // from before the last draw (an old picture drawn now is
                    // not live from now on).
                    self.stalled_since = Some(deadline.max(self.last_drawn_at).min(now));
                    self.stall_label_at = now;
                    events.push(Event::Stalled {
                        ms_since_last_drawn: now - self.last_drawn_at,
                        picture_age_ms: self.picture_age(now),
                        started: true,
                    });
                }
                Some(_) if now - self.stall_label_at >= STALL_LABEL_REFRESH_MS => {
                    self.stall_label_at = now;
                    events.push(Event::Stalled {
                        ms_since_last_drawn: now - self.last_drawn_at,
                        picture_age_ms: self.picture_age(now),
                        started: false,
                    });
                }
                _ => {}
            }
        }
        let report_due = self.interval_start + self.config.report_interval_ms;
        if self.interval_active && now >= report_due {
            let mut report = core::mem::take(&mut self.interval);
            report.interval_ms = now - self.interval_start;
            if let Some(since) = self.stalled_since {
                report.stalled_ms += now - since.max(self.interval_start);
            }
            events.push(Event::Report(report));
            self.interval_start = now;
            self.interval_active = false;
        }
        (events, self.next_wake(now))
    }

    fn next_wake(&self, now: f64) -> Option<f64> {
        let stall = match (self.config.stall_after_ms, self.stalled_since) {
            (Some(after), None) => Some(self.live_until(after)),
            (Some(_), Some(_)) => Some(self.stall_label_at + STALL_LABEL_REFRESH_MS),
            (None, _) => None,
        };
        let report = self
            .interval_active
            .then_some(self.interval_start + self.config.report_interval_ms);
        [stall, report]
            .into_iter()
            .flatten()
            .reduce(f64::min)
            .map(|t| t.max(now))
    }

    /// Marks the current interval as one in which something happened; the
    /// first event after a quiet spell longer than an interval starts a
    /// fresh interval.
    fn touch(&mut self, now: f64) {
        if !self.interval_active {
            if now - self.interval_start >= self.config.report_interval_ms {
                self.interval_start = now;
            }
            self.interval_active = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn gate() -> Gate {
        Gate::new(GateConfig::default(), 0.0)
    }

    fn reports(events: &[Event]) -> Vec<&Report> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Report(r) => Some(r),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_late_decode_of_an_older_frame_is_not_drawn_over_a_newer_one() {
        let mut g = gate();
        let old = g.begin_draw(1_000);
        let new = g.begin_draw(2_000);
        assert!(g.may_draw(new));
        g.drawn(new, 10.0, 10.0);
        assert!(!g.may_draw(old));
        // Same capture time: acceptance order decides.
        let a = g.begin_draw(3_000);
        let b = g.begin_draw(3_000);
        g.drawn(b, 11.0, 11.0);
        assert!(!g.may_draw(a));
        assert!(g.may_draw(g.clone().begin_draw(3_001)));
    }

    #[test]
    fn stalls_after_the_configured_time_since_construction() {
        let mut g = gate();
        assert_eq!(g.poll(0.0), (vec![], Some(3000.0)));
        assert_eq!(g.poll(2999.0).0, vec![]);
        let (events, next) = g.poll(3100.0);
        assert_eq!(
            events,
            vec![Event::Stalled {
                ms_since_last_drawn: 3100.0,
                picture_age_ms: None,
                started: true
            }]
        );
        assert!(g.is_stalled());
        assert_eq!(next, Some(4100.0), "label refresh");
        assert_eq!(g.poll(3500.0).0, vec![]);
        assert_eq!(
            g.poll(4100.0).0,
            vec![Event::Stalled {
                ms_since_last_drawn: 4100.0,
                picture_age_ms: None,
                started: false
            }]
        );
    }

    #[test]
    fn a_drawn_frame_resumes_and_restarts_the_countdown() {
        let mut g = gate();
        g.poll(3000.0);
        let t = g.begin_draw(1);
        assert!(g.drawn(t, 5000.0, 5000.0), "resume");
        assert!(!g.is_stalled());
        let t = g.begin_draw(2);
        assert!(!g.drawn(t, 6000.0, 6000.0), "not stalled: no second resume");
        assert_eq!(g.poll(8999.0).0, vec![]);
        assert!(matches!(
            g.poll(9000.0).0[..],
            [Event::Stalled { started: true, .. }]
        ));
    }

    #[test]
    fn stall_can_be_switched_off() {
        let mut g = Gate::new(
            GateConfig {
                stall_after_ms: None,
                ..GateConfig::default()
            },
            0.0,
        );
        assert_eq!(g.poll(1e9), (vec![], None));
        assert!(!g.is_stalled());
    }

    #[test]
    fn reports_count_one_interval_only_and_at_most_once_per_interval() {
        let mut g = Gate::new(
            GateConfig {
                stall_after_ms: None,
                report_interval_ms: 1000.0,
            },
            0.0,
        );
        for i in 0..500 {
            g.record_verdict(Err(DropReason::ForeignKey), i as f64);
            assert_eq!(reports(&g.poll(i as f64).0).len(), 0);
        }
        g.record_verdict(Ok(()), 600.0);
        let t = g.begin_draw(1);
        g.drawn(t, 700.0, 700.0);
        let (events, _) = g.poll(1000.0);
        let r = reports(&events);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].interval_ms, 1000.0);
        assert_eq!((r[0].accepted, r[0].drawn), (1, 1));
        assert_eq!(r[0].dropped(DropReason::ForeignKey), 500);
        assert_eq!(r[0].stalled_ms, 0.0);
        // The next interval starts empty.
        g.record_verdict(Err(DropReason::Replayed), 1500.0);
        assert_eq!(reports(&g.poll(1999.0).0).len(), 0);
        let (events, _) = g.poll(2000.0);
        let r = reports(&events);
        assert_eq!(r[0].dropped(DropReason::Replayed), 1);
        assert_eq!(r[0].dropped(DropReason::ForeignKey), 0);
        assert_eq!(r[0].accepted, 0);
    }

    #[test]
    fn pictures_a_video_presented_between_two_readings_all_count_as_drawn() {
        let mut g = Gate::new(
            GateConfig {
                stall_after_ms: None,
                report_interval_ms: 1000.0,
            },
            0.0,
        );
        // One reading of the element, 250 ms after the last: 7 pictures
        // passed, the newest captured at 1 ms.
        let t = g.begin_draw(1);
        g.drawn(t, 250.0, 250.0);
        g.also_drawn(6);
        let (events, _) = g.poll(1000.0);
        assert_eq!(reports(&events)[0].drawn, 7);
    }

    #[test]
    fn quiet_intervals_produce_no_report_and_no_timer() {
        let mut g = Gate::new(
            GateConfig {
                stall_after_ms: None,
                report_interval_ms: 1000.0,
            },
            0.0,
        );
        assert_eq!(g.poll(5000.0), (vec![], None));
        // Activity after a quiet spell opens a fresh interval at that moment.
        g.record_verdict(Ok(()), 5200.0);
        let (events, next) = g.poll(5300.0);
        assert!(reports(&events).is_empty());
        assert_eq!(next, Some(6200.0));
        let (events, _) = g.poll(6200.0);
        assert_eq!(reports(&events)[0].interval_ms, 1000.0);
    }

    #[test]
    fn stalled_time_is_split_across_intervals() {
        let mut g = Gate::new(
            GateConfig {
                stall_after_ms: Some(500.0),
                report_interval_ms: 1000.0,
            },
            0.0,
        );
        g.record_verdict(Err(DropReason::Stale), 100.0);
        g.poll(600.0); // stalled since 500
        let (events, _) = g.poll(1000.0);
        assert_eq!(reports(&events)[0].stalled_ms, 500.0);
        let t = g.begin_draw(1);
        g.drawn(t, 1300.0, 1300.0); // resumes: 300 ms stalled in this interval
        // Stalled again from 1800 (500 ms after the draw): 300 + 200 ms.
        let (events, _) = g.poll(2000.0);
        let r = reports(&events);
        assert_eq!((r[0].stalled_ms, r[0].drawn), (500.0, 1));
        assert!(matches!(events[0], Event::Stalled { started: true, .. }));
    }

    #[test]
    fn the_next_wake_is_the_earliest_deadline() {
        let mut g = Gate::new(
            GateConfig {
                stall_after_ms: Some(3000.0),
                report_interval_ms: 1000.0,
            },
            0.0,
        );
        g.record_verdict(Ok(()), 10.0);
        assert_eq!(g.poll(10.0).1, Some(1000.0));
        g.poll(1000.0);
        assert_eq!(g.poll(1000.0).1, Some(3000.0));
    }

    #[test]
    fn a_relay_delaying_every_frame_by_9_5_s_cannot_pass_old_pictures_off_as_live() {
        // A frame every 33 ms, each drawn at once but captured 9.5 s before
        // it arrives: within the verifier's 10 s maximum age, so accepted.
        let mut g = gate();
        let mut stalls = 0;
        let mut resumes = 0;
        for i in 0..300u64 {
            let now = 10_000.0 + i as f64 * 33.0;
            let t = g.begin_draw(i);
            resumes += usize::from(g.drawn(t, now - 9_500.0, now));
            let (events, _) = g.poll(now);
            for e in events {
                if let Event::Stalled {
                    started: true,
                    picture_age_ms,
                    ..
                } = e
                {
                    stalls += 1;
                    assert_eq!(picture_age_ms, Some(9_500.0), "the label says how old");
                }
            }
            assert!(g.is_stalled(), "frame {i} passed for live");
        }
        assert_eq!((stalls, resumes), (1, 0));
    }

    #[test]
    fn a_picture_goes_not_live_when_its_capture_is_older_than_stall_after() {
        let mut g = gate();
        let t = g.begin_draw(1);
        // Drawn at 1000, captured 2000 ms before: live for 1000 ms more.
        assert!(!g.drawn(t, -1000.0, 1000.0));
        assert_eq!(g.poll(1000.0), (vec![], Some(2000.0)));
        let (events, _) = g.poll(2000.0);
        assert_eq!(
            events,
            vec![Event::Stalled {
                ms_since_last_drawn: 1000.0,
                picture_age_ms: Some(3000.0),
                started: true
            }]
        );
        // An old picture does not resume; a recent one does.
        let t = g.begin_draw(2);
        assert!(!g.drawn(t, 2100.0 - 3500.0, 2100.0));
        assert!(g.is_stalled());
        let t = g.begin_draw(3);
        assert!(g.drawn(t, 2150.0, 2200.0));
        assert!(!g.is_stalled());
    }
}
