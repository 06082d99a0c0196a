//! Attendance metrics: from the join/leave intervals of every attendance report version of a
//! session, and the session's registrations, to what organizers read — per person, per session,
//! and across a series.
//!
//! Pure: data in, data out. Invariants: overlapping intervals of one person are merged across
//! all report versions (a restarted meeting, two devices), so nobody is counted twice and no
//! second is counted twice; attendance is matched to a registration by `registrationId`, then
//! by e-mail (case-insensitively), and otherwise listed as unregistered — never guessed; the
//! percentage of the scheduled length counts only time inside the scheduled window, so joining
//! early does not inflate it; a zero-length interval is a join of no duration.

use std::collections::BTreeMap;

// Fx hashing: the keys are ids and addresses from one tenant, not an attacker's choice, and
// SipHash was a tenth of a large session's recompute.
use rustc_hash::FxHashMap as HashMap;

use chrono::{DateTime, Duration, Utc};
use rayon::prelude::*;

/// From this many people on, a session's per-person work is shared out over the cores.
pub const PARALLEL_FROM: usize = 8_192;

/// One stretch of presence. `leave` ≥ `join` (the sync clips reversed ones to zero length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub join: DateTime<Utc>,
    pub leave: DateTime<Utc>,
}

impl Interval {
    pub fn seconds(&self) -> i64 {
        (self.leave - self.join).num_seconds().max(0)
    }
}

/// One attendance record of one report version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub report_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// The attendee's Entra id or Teams identity id, when known.
    pub identity_id: Option<String>,
    pub registration_id: Option<String>,
    /// `Attendee`, `Presenter`, `Organizer`, …
    pub role: Option<String>,
    pub intervals: Vec<Interval>,
}

/// One registration of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registrant {
    pub registration_id: String,
    pub email: Option<String>,
    pub name: String,
    /// `registered`, `canceled`, `waitlisted`, …
    pub status: String,
}

/// The thresholds organizers choose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// Present at least this share of the scheduled length (percent) to have attended.
    pub attended_pct: f64,
    /// Series completion: attended at least this share of the sessions (percent).
    pub completion_pct: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            attended_pct: 80.0,
            completion_pct: 75.0,
        }
    }
}

/// How a person's session went.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Outcome {
    Attended,
    /// Present, but for less than the threshold.
    Partial,
    /// Registered and never present (or present for no time at all).
    NoShow,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Attended => "attended",
            Outcome::Partial => "partial",
            Outcome::NoShow => "noShow",
        }
    }
}

/// Who a row is about, as far as the data says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PersonKey {
    Registration(String),
    /// Present without a matching registration, known by e-mail (lower-case).
    Email(String),
    /// Present without registration or e-mail: known only by identity (or name).
    Anonymous(String),
}

impl PersonKey {
    /// The key as the local copy and the window name a row: `kind:value`.
    pub fn to_stored(&self) -> String {
        match self {
            PersonKey::Registration(id) => format!("registration:{id}"),
            PersonKey::Email(e) => format!("email:{e}"),
            PersonKey::Anonymous(a) => format!("anonymous:{a}"),
        }
    }

    /// Reads `to_stored`'s text back; a text of no known kind is taken as anonymous.
    pub fn from_stored(text: &str) -> Self {
        match text.split_once(':') {
            Some(("registration", id)) => PersonKey::Registration(id.to_string()),
            Some(("email", e)) => PersonKey::Email(e.to_string()),
            Some(("anonymous", a)) => PersonKey::Anonymous(a.to_string()),
            _ => PersonKey::Anonymous(text.to_string()),
        }
    }
}

/// One person's presence in one session.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonSession {
    pub key: PersonKey,
    pub registration_id: Option<String>,
    pub email: Option<String>,
    pub name: String,
    pub registered: bool,
    /// Time present, overlaps merged (joins before the start and after the end included).
    pub seconds_present: i64,
    /// Share of the scheduled length present inside the scheduled window, 0–100.
    pub pct_of_scheduled: f64,
    pub first_join: Option<DateTime<Utc>>,
    pub last_leave: Option<DateTime<Utc>>,
    /// Times the person came back after leaving.
    pub rejoins: u32,
    /// Minutes after the scheduled start of the first join (0 when on time or early).
    pub late_minutes: i64,
    /// Minutes before the scheduled end of the last leave (0 when staying to the end).
    pub early_leave_minutes: i64,
    pub outcome: Outcome,
    /// Merged intervals, for the presence curve and exports.
    pub intervals: Vec<Interval>,
}

/// A session's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionMetrics {
    pub people: Vec<PersonSession>,
    /// Registrations not canceled.
    pub registered: usize,
    pub attended: usize,
    pub partial: usize,
    pub no_shows: usize,
    /// Present without a registration.
    pub unregistered: usize,
    /// Mean time present of those present, in seconds.
    pub average_seconds: i64,
    pub peak_concurrent: usize,
    /// People present at each minute from the earlier of scheduled start and first join.
    pub presence: Vec<(DateTime<Utc>, usize)>,
}

/// Merges overlapping or touching intervals; zero-length ones survive only as joins.
pub fn merge(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.sort();
    let mut out: Vec<Interval> = Vec::with_capacity(intervals.len());
    for i in intervals {
        match out.last_mut() {
            Some(last) if i.join <= last.leave => last.leave = last.leave.max(i.leave),
            _ => out.push(i),
        }
    }
    out
}

/// `a` and `b`, side by side on rayon's pool when the work is `large`, else one after the
/// other here.
pub(crate) fn both<A: Send, B: Send>(
    large: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if large { rayon::join(a, b) } else { (a(), b()) }
}

/// `f` of each item, in order: on rayon's pool from [`PARALLEL_FROM`] items, else here
/// (handing a few to the pool would cost more than it saves).
pub(crate) fn map_each<T: Send, U: Send>(
    items: Vec<T>,
    f: impl Fn(T) -> U + Sync + Send,
) -> Vec<U> {
    if items.len() >= PARALLEL_FROM {
        items
            .into_par_iter()
            .with_min_len(PARALLEL_FROM / 2)
            .map(f)
            .collect()
    } else {
        items.into_iter().map(f).collect()
    }
}

/// An e-mail address as addresses are compared — matching records to registrations, the
/// sheet's e-mail column, search, the person drawer: without surrounding spaces, lower-case.
pub fn comparable_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn lower(s: &Option<String>) -> Option<String> {
    s.as_deref().map(comparable_email).filter(|e| !e.is_empty())
}

/// The numbers of a session no attendance report has been seen for (not held yet, or Teams
/// has not published its report): its registrations are counted, and nobody has an outcome —
/// a registrant becomes a no-show only when a report shows they never came.
pub fn before_any_report(registrants: &[Registrant]) -> SessionMetrics {
    SessionMetrics {
        people: Vec::new(),
        registered: registrants
            .iter()
            .filter(|r| r.status != "canceled")
            .count(),
        attended: 0,
        partial: 0,
        no_shows: 0,
        unregistered: 0,
        average_seconds: 0,
        peak_concurrent: 0,
        presence: Vec::new(),
    }
}

/// Every person's presence in a session, and the session's numbers. `records` holds every
/// report version of the session (each version once).
pub fn session_metrics(
    scheduled_start: DateTime<Utc>,
    scheduled_end: DateTime<Utc>,
    registrants: &[Registrant],
    records: &[Record],
    rules: Rules,
) -> SessionMetrics {
    let active: Vec<&Registrant> = registrants
        .iter()
        .filter(|r| r.status != "canceled")
        .collect();
    // The lookups and the records' order depend on nothing else: side by side when large.
    let large = active.len().max(records.len()) >= PARALLEL_FROM;
    // Registrants by position in `active`; a registration id listed twice is the later one.
    let by_id = || -> HashMap<&str, usize> {
        active
            .iter()
            .enumerate()
            .map(|(i, r)| (r.registration_id.as_str(), i))
            .collect()
    };
    // An address names a registration id; its listing that counts is then found by id.
    let by_email = || -> HashMap<String, &str> {
        active
            .iter()
            .filter_map(|r| lower(&r.email).map(|e| (e, r.registration_id.as_str())))
            .collect()
    };
    // A person's first record (by when they joined) names them, whatever order the report
    // versions were read in; the position keeps the order the same however it is sorted.
    let order = || {
        let mut keyed: Vec<(Option<DateTime<Utc>>, &str, usize)> = records
            .iter()
            .enumerate()
            .map(|(at, r)| (r.joined(), r.report_id.as_str(), at))
            .collect();
        if large {
            keyed.par_sort_unstable();
        } else {
            keyed.sort_unstable();
        }
        keyed
    };
    let ((by_id, by_email), ordered) = both(large, || both(large, by_id, by_email), order);
    // Gathered in the order first seen (records by join time, then registrations), which
    // the same data always gives. Registered people are found by position (no hashing: a
    // large session's recompute was mostly waiting on hash-table memory); others by key.
    let mut people: Vec<Gathered> = Vec::with_capacity(active.len());
    let mut of_registrant: Vec<Option<usize>> = vec![None; active.len()];
    let mut of_key: HashMap<PersonKey, usize> = HashMap::default();
    for r in ordered.into_iter().map(|(_, _, at)| &records[at]) {
        let id_of = |id: &str| by_id.get(id).copied();
        let matched = matched(r, id_of, |e| by_email.get(e).and_then(|id| id_of(id)));
        let at = match matched {
            Some(ri) => *of_registrant[ri].get_or_insert_with(|| {
                let key = PersonKey::Registration(active[ri].registration_id.clone());
                people.push(Gathered::new(key, Some(ri)));
                people.len() - 1
            }),
            None => {
                let key = unregistered_key(r);
                match of_key.get(&key) {
                    Some(&at) => at,
                    None => {
                        of_key.insert(key.clone(), people.len());
                        people.push(Gathered::new(key, None));
                        people.len() - 1
                    }
                }
            }
        };
        let g = &mut people[at];
        g.take(r, g.registrant.map(|i| active[i]));
    }
    drop(of_key);
    for (ri, reg) in active.iter().enumerate() {
        // A registration id listed twice is one person: the later listing.
        if of_registrant[ri].is_none() && by_id.get(reg.registration_id.as_str()) == Some(&ri) {
            of_registrant[ri] = Some(people.len());
            let key = PersonKey::Registration(reg.registration_id.clone());
            people.push(Gathered::new(key, Some(ri)));
        }
    }
    let frame = Frame::new(scheduled_start, scheduled_end, rules);
    // Each person's row depends on nobody else's. Made whole, then filtered: rayon collects
    // a filtered iterator in pieces and then moves them all into one vector on one thread.
    let mut rows = map_each(people, |g| {
        let registrant = g.registrant.map(|i| active[i]);
        frame.row(g, registrant)
    });
    rows.retain(|(p, _)| shown(p));
    let mut metrics = frame.numbers(
        active.len(),
        rows.iter()
            .map(|(p, spans)| (Counted::of(p), spans.as_slice())),
    );
    metrics.people = rows.into_iter().map(|(p, _)| p).collect();
    metrics
}

impl Record {
    /// When the record's first stay began (`None`: it has none).
    fn joined(&self) -> Option<DateTime<Utc>> {
        self.intervals.iter().map(|i| i.join).min()
    }
}

/// The registration a record is matched to: by registration id, then by e-mail
/// (case-insensitively), else none — never guessed.
fn matched(
    r: &Record,
    by_id: impl Fn(&str) -> Option<usize>,
    by_email: impl Fn(&str) -> Option<usize>,
) -> Option<usize> {
    r.registration_id
        .as_deref()
        .and_then(by_id)
        .or_else(|| lower(&r.email).and_then(|e| by_email(&e)))
}

/// Who an unregistered record is: its e-mail, else its identity or name, else nobody known.
fn unregistered_key(r: &Record) -> PersonKey {
    match lower(&r.email) {
        Some(e) => PersonKey::Email(e),
        // Teams gives phone callers an empty identity id: that names nobody.
        None => PersonKey::Anonymous(
            [&r.identity_id, &r.name]
                .into_iter()
                .flatten()
                .map(|s| s.trim())
                .find(|s| !s.is_empty())
                .map_or_else(|| format!("{}#anonymous", r.report_id), str::to_string),
        ),
    }
}

/// Someone present for no time and not registered is not a row worth showing.
fn shown(p: &PersonSession) -> bool {
    p.registered || p.first_join.is_some()
}

/// Everything one person did, gathered under their key.
struct Gathered {
    key: PersonKey,
    /// Position among the session's active registrations of the person's registration.
    registrant: Option<usize>,
    /// From the first record (for a registered person, only when the registration has no
    /// e-mail).
    email: Option<String>,
    name: Option<String>,
    intervals: Vec<Interval>,
}

impl Gathered {
    fn new(key: PersonKey, registrant: Option<usize>) -> Self {
        Gathered {
            key,
            registrant,
            email: None,
            name: None,
            intervals: Vec::new(),
        }
    }

    /// Takes the person's next record (in the order that names them: by join time).
    fn take(&mut self, r: &Record, registrant: Option<&Registrant>) {
        match registrant {
            // A registration without an address takes the first record's.
            Some(reg) => {
                if self.email.is_none() && reg.email.is_none() {
                    self.email = r.email.clone();
                }
            }
            None => {
                if self.email.is_none() {
                    self.email = r.email.clone();
                }
                if self.name.is_none() {
                    self.name = r.name.clone();
                }
            }
        }
        self.intervals.extend(r.intervals.iter().copied());
    }
}

/// What a session's numbers need of one person's row.
#[derive(Debug, Clone, Copy)]
struct Counted {
    registered: bool,
    seconds_present: i64,
    outcome: Outcome,
}

impl Counted {
    fn of(p: &PersonSession) -> Self {
        Counted {
            registered: p.registered,
            seconds_present: p.seconds_present,
            outcome: p.outcome,
        }
    }
}

/// A session's schedule and the organizer's rules: what a person's row is measured against.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Frame {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    rules: Rules,
    start_ns: i64,
    end_ns: i64,
    /// Whole seconds scheduled, at least one.
    scheduled: i64,
}

impl Frame {
    fn new(start: DateTime<Utc>, end: DateTime<Utc>, rules: Rules) -> Self {
        Frame {
            start,
            end,
            rules,
            start_ns: nanos(start),
            end_ns: nanos(end),
            scheduled: (end - start).num_seconds().max(1),
        }
    }

    /// One person's row, and their merged stays in nanoseconds (for the presence curve).
    fn row(
        &self,
        g: Gathered,
        registrant: Option<&Registrant>,
    ) -> (PersonSession, Vec<(i64, i64)>) {
        let (start_ns, end_ns) = (self.start_ns, self.end_ns);
        let merged = merge(g.intervals);
        // Each merged interval's instants as integers once: subtracting `DateTime`s was a
        // fifth of a large session's recompute. Whole seconds and minutes truncate toward
        // zero, as `chrono::Duration`'s do.
        let spans: Vec<(i64, i64)> = merged
            .iter()
            .map(|i| (nanos(i.join), nanos(i.leave)))
            .collect();
        let seconds_present: i64 = spans
            .iter()
            .map(|&(j, l)| (l.saturating_sub(j) / NANOS_PER_SECOND).max(0))
            .sum();
        let inside: i64 = spans
            .iter()
            .map(|&(j, l)| {
                (l.min(end_ns).saturating_sub(j.max(start_ns)) / NANOS_PER_SECOND).max(0)
            })
            .sum();
        let pct = (inside as f64 * 100.0 / self.scheduled as f64).min(100.0);
        let first_join = merged.first().map(|i| i.join);
        let last_leave = merged.last().map(|i| i.leave);
        let outcome = if seconds_present == 0 {
            Outcome::NoShow
        } else if pct >= self.rules.attended_pct {
            Outcome::Attended
        } else {
            Outcome::Partial
        };
        let minutes = |d: i64| (d / (60 * NANOS_PER_SECOND)).max(0);
        let person = PersonSession {
            registered: registrant.is_some(),
            name: registrant
                .map(|r| r.name.clone())
                .or(g.name)
                .unwrap_or_default(),
            email: registrant.and_then(|r| r.email.clone()).or(g.email),
            registration_id: registrant.map(|r| r.registration_id.clone()),
            key: g.key,
            seconds_present,
            pct_of_scheduled: (pct * 10.0).round() / 10.0,
            first_join,
            last_leave,
            rejoins: merged.len().saturating_sub(1) as u32,
            late_minutes: spans
                .first()
                .map_or(0, |&(j, _)| minutes(j.saturating_sub(start_ns))),
            early_leave_minutes: spans
                .last()
                .map_or(0, |&(_, l)| minutes(end_ns.saturating_sub(l))),
            outcome,
            intervals: merged,
        };
        (person, spans)
    }

    /// The session's numbers from its shown people's rows (`people` is left empty).
    fn numbers<'a>(
        &self,
        registered: usize,
        rows: impl Iterator<Item = (Counted, &'a [(i64, i64)])> + Clone,
    ) -> SessionMetrics {
        let (presence, peak) = presence_curve(self.start, self.end, rows.clone().map(|(_, s)| s));
        let count = |f: fn(&Counted) -> bool| rows.clone().filter(|(c, _)| f(c)).count();
        let (present, seconds) = rows
            .clone()
            .filter(|(c, _)| c.seconds_present > 0)
            .fold((0i64, 0i64), |(n, s), (c, _)| {
                (n + 1, s + c.seconds_present)
            });
        SessionMetrics {
            people: Vec::new(),
            registered,
            attended: count(|c| c.outcome == Outcome::Attended),
            partial: count(|c| c.outcome == Outcome::Partial),
            no_shows: count(|c| c.registered && c.outcome == Outcome::NoShow),
            unregistered: count(|c| !c.registered && c.seconds_present > 0),
            average_seconds: if present == 0 { 0 } else { seconds / present },
            peak_concurrent: peak,
            presence,
        }
    }
}

/// A session's people worked out record by record while a sync reads its reports' pages, so
/// that little is left after the last page: a person's row is made as their first record
/// arrives, in the form the caller keeps (`T`); a person with a second record has it made
/// again at the end from all of theirs, in the order [`session_metrics`] takes them. Records
/// fed before the registrations and the schedule are known wait for them.
///
/// [`Tally::finish`] gives the rows and numbers [`session_metrics`] gives for the same
/// registrations and records (tests hold this for records fed in any order of pages).
pub struct Tally<T> {
    records: Vec<Fed>,
    /// Report id → records fed of it.
    fed: HashMap<String, u32>,
    known: Option<Known<T>>,
    stored: fn(PersonSession) -> T,
}

/// A record as fed, with what orders it among a person's records.
struct Fed {
    record: Record,
    joined: Option<DateTime<Utc>>,
    /// Position in its report.
    at: u32,
}

/// The tally once the registrations and the schedule are known.
struct Known<T> {
    frame: Frame,
    active: Vec<Registrant>,
    by_id: HashMap<String, usize>,
    by_email: HashMap<String, usize>,
    of_registrant: Vec<Option<usize>>,
    of_key: HashMap<PersonKey, usize>,
    people: Vec<Person<T>>,
}

struct Person<T> {
    key: PersonKey,
    registrant: Option<usize>,
    /// Positions in `Tally::records`.
    records: Vec<u32>,
    /// Made from the only record so far; `None` once a second one came (made at the end).
    row: Option<Row<T>>,
}

struct Row<T> {
    stored: T,
    counted: Counted,
    shown: bool,
    spans: Vec<(i64, i64)>,
}

impl<T> std::fmt::Debug for Tally<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tally")
            .field("records", &self.records.len())
            .field("reports", &self.fed.len())
            .field("people", &self.known.as_ref().map(|k| k.people.len()))
            .finish()
    }
}

impl<T> Tally<T> {
    /// An empty tally whose rows are kept as `stored` makes them.
    pub fn new(stored: fn(PersonSession) -> T) -> Self {
        Tally {
            records: Vec::new(),
            fed: HashMap::default(),
            known: None,
            stored,
        }
    }

    /// Takes the next records of their reports (each report's in the order it lists them).
    pub fn feed(&mut self, records: Vec<Record>) {
        let from = self.records.len();
        for record in records {
            let count = self.fed.entry(record.report_id.clone()).or_default();
            let at = *count;
            *count += 1;
            let joined = record.joined();
            self.records.push(Fed { record, joined, at });
        }
        if let Some(known) = &mut self.known {
            for i in from..self.records.len() {
                known.place(&self.records, i, self.stored);
            }
        }
    }

    /// The schedule, the registrations (canceled ones included) and the rules: from here on
    /// each record's person is worked out as it is fed.
    pub fn know(
        &mut self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        registrants: Vec<Registrant>,
        rules: Rules,
    ) {
        let active: Vec<Registrant> = registrants
            .into_iter()
            .filter(|r| r.status != "canceled")
            .collect();
        let by_id: HashMap<String, usize> = active
            .iter()
            .enumerate()
            .map(|(i, r)| (r.registration_id.clone(), i))
            .collect();
        let by_email = active
            .iter()
            .filter_map(|r| lower(&r.email).map(|e| (e, by_id[&r.registration_id])))
            .collect();
        let mut known = Known {
            frame: Frame::new(start, end, rules),
            of_registrant: vec![None; active.len()],
            active,
            by_id,
            by_email,
            of_key: HashMap::default(),
            people: Vec::new(),
        };
        for i in 0..self.records.len() {
            known.place(&self.records, i, self.stored);
        }
        self.known = Some(known);
    }

    /// Whether this tally is of exactly these: the schedule, the rules and the reports' record
    /// counts (every report fed, nothing else).
    pub fn fits(
        &self,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
        rules: Rules,
        reports: &[(&str, usize)],
    ) -> bool {
        let Some(known) = &self.known else {
            return false;
        };
        let f = known.frame;
        let all = reports.iter().map(|(_, n)| n).sum::<usize>() == self.records.len();
        (Some(f.start), Some(f.end), f.rules) == (start, end, rules)
            && all
            && reports
                .iter()
                .all(|(id, n)| self.fed.get(*id).map_or(0, |&c| c as usize) == *n)
    }

    /// The session's numbers (their `people` empty) and its shown people's rows as kept;
    /// `None` when the registrations and schedule were never known.
    pub fn finish(self) -> Option<(SessionMetrics, Vec<T>)> {
        let Tally {
            records,
            known,
            stored,
            ..
        } = self;
        let mut k = known?;
        let Known {
            frame,
            active,
            by_id,
            of_registrant,
            people,
            ..
        } = &mut k;
        for p in people.iter_mut().filter(|p| p.row.is_none()) {
            // In the order `session_metrics` takes them: by join time, then report, then
            // position in the report.
            p.records.sort_unstable_by(|&a, &b| {
                let (a, b) = (&records[a as usize], &records[b as usize]);
                (a.joined, &a.record.report_id, a.at).cmp(&(b.joined, &b.record.report_id, b.at))
            });
            let registrant = p.registrant.map(|i| &active[i]);
            let mut g = Gathered::new(p.key.clone(), p.registrant);
            for &i in &p.records {
                g.take(&records[i as usize].record, registrant);
            }
            p.row = Some(Row::of(frame.row(g, registrant), stored));
        }
        for (ri, reg) in active.iter().enumerate() {
            // A registration id listed twice is one person: the later listing.
            if of_registrant[ri].is_none() && by_id.get(&reg.registration_id) == Some(&ri) {
                let g = Gathered::new(
                    PersonKey::Registration(reg.registration_id.clone()),
                    Some(ri),
                );
                people.push(Person {
                    key: g.key.clone(),
                    registrant: Some(ri),
                    records: Vec::new(),
                    row: Some(Row::of(frame.row(g, Some(reg)), stored)),
                });
            }
        }
        let rows: Vec<Row<T>> = std::mem::take(people)
            .into_iter()
            .filter_map(|p| p.row)
            .filter(|r| r.shown)
            .collect();
        let metrics = frame.numbers(
            active.len(),
            rows.iter().map(|r| (r.counted, r.spans.as_slice())),
        );
        Some((metrics, rows.into_iter().map(|r| r.stored).collect()))
    }
}

impl<T> Known<T> {
    /// Works out whose record `i` is; their row is made now if it is their first.
    fn place(&mut self, records: &[Fed], i: usize, stored: fn(PersonSession) -> T) {
        let r = &records[i].record;
        let matched = matched(
            r,
            |id| self.by_id.get(id).copied(),
            |e| self.by_email.get(e).copied(),
        );
        let at = match matched {
            Some(ri) => match self.of_registrant[ri] {
                Some(at) => at,
                None => {
                    let key = PersonKey::Registration(self.active[ri].registration_id.clone());
                    self.of_registrant[ri] = Some(self.people.len());
                    self.people.push(Person::new(key, Some(ri)));
                    self.people.len() - 1
                }
            },
            None => {
                let key = unregistered_key(r);
                match self.of_key.get(&key) {
                    Some(&at) => at,
                    None => {
                        self.of_key.insert(key.clone(), self.people.len());
                        self.people.push(Person::new(key, None));
                        self.people.len() - 1
                    }
                }
            }
        };
        let p = &mut self.people[at];
        p.records.push(i as u32);
        p.row = (p.records.len() == 1).then(|| {
            let registrant = p.registrant.map(|ri| &self.active[ri]);
            let mut g = Gathered::new(p.key.clone(), p.registrant);
            g.take(r, registrant);
            Row::of(self.frame.row(g, registrant), stored)
        });
    }
}

impl<T> Person<T> {
    fn new(key: PersonKey, registrant: Option<usize>) -> Self {
        Person {
            key,
            registrant,
            records: Vec::new(),
            row: None,
        }
    }
}

impl<T> Row<T> {
    fn of(
        (person, spans): (PersonSession, Vec<(i64, i64)>),
        stored: fn(PersonSession) -> T,
    ) -> Self {
        Row {
            counted: Counted::of(&person),
            shown: shown(&person),
            stored: stored(person),
            spans,
        }
    }
}

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// An instant as nanoseconds since the epoch: every time Teams gives, exactly. Instants
/// outside 1677–2262 (which nothing real has) saturate.
fn nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// People present at each minute, and the most at any instant (a sweep over merged
/// intervals, each person's given as nanosecond pairs).
fn presence_curve<'a>(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    people: impl Iterator<Item = &'a [(i64, i64)]> + Clone,
) -> (Vec<(DateTime<Utc>, usize)>, usize) {
    let stays = move || people.clone().flatten().copied();
    let spans = |shortest: i64| {
        let (mut joins, mut leaves): (Vec<i64>, Vec<i64>) = stays()
            .filter(|&(j, l)| l.saturating_sub(j) >= shortest)
            .unzip();
        if joins.len() >= PARALLEL_FROM {
            rayon::join(|| joins.par_sort_unstable(), || leaves.par_sort_unstable());
        } else {
            joins.sort_unstable();
            leaves.sort_unstable();
        }
        (joins, leaves)
    };
    // The curve counts every stay longer than nothing; the peak (and the curve's span) only
    // stays of a second or more. Teams rarely gives a shorter one, so both usually come from
    // one sorted pair of lists, made once.
    let (joins, leaves) = spans(1);
    let shorter = stays().any(|(j, l)| l > j && l.saturating_sub(j) < NANOS_PER_SECOND);
    let held = shorter.then(|| spans(NANOS_PER_SECOND));
    let (held_joins, held_leaves) = match &held {
        Some((j, l)) => (j.as_slice(), l.as_slice()),
        None => (joins.as_slice(), leaves.as_slice()),
    };
    // Leaves before joins at the same instant: a hand-over is not two people at once.
    let (mut left, mut now, mut peak) = (0, 0usize, 0usize);
    for j in held_joins {
        while left < held_leaves.len() && held_leaves[left] <= *j {
            left += 1;
            now -= 1;
        }
        now += 1;
        peak = peak.max(now);
    }
    let (Some(&first), Some(&last)) = (held_joins.first(), held_leaves.last()) else {
        return (Vec::new(), 0);
    };
    let from = DateTime::from_timestamp_nanos(first).min(start);
    let to = DateTime::from_timestamp_nanos(last).max(end);
    let minutes = (to - from).num_minutes().clamp(0, 24 * 60);
    // Merged intervals of one person never overlap, so the people present at `t` are the
    // intervals begun by `t` less those ended by `t`: two binary searches per minute.
    let curve = (0..=minutes)
        .map(|m| {
            let t = from + Duration::minutes(m);
            let at = nanos(t);
            let n = joins.partition_point(|j| *j <= at) - leaves.partition_point(|l| *l <= at);
            (t, n)
        })
        .collect();
    (curve, peak)
}

/// One person across a series.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixRow {
    /// Unique among the rows: the e-mail (lower-case) when known, else the session's number
    /// and the person's key there.
    pub person: String,
    /// Lower-case; `None` for someone seen without one (then in one session only).
    pub email: Option<String>,
    /// For someone without an e-mail: their key in the one session they were seen in.
    pub session_key: Option<String>,
    pub name: String,
    /// One cell per session, in session order: `None` when the person neither registered for
    /// nor attended that session.
    pub cells: Vec<Option<Outcome>>,
    pub attended: usize,
    pub complete: bool,
}

/// The people × sessions matrix: people matched across sessions by e-mail (registrations are
/// per session in Teams), "attended k of N", and the completion rule. Someone seen without an
/// e-mail (a phone dial-in, a guest) has a row per session: a name alone is never taken to be
/// the same person.
pub fn series_matrix(sessions: &[Vec<PersonSession>], rules: Rules) -> Vec<MatrixRow> {
    let n = sessions.len();
    let mut rows: BTreeMap<String, MatrixRow> = BTreeMap::new();
    for (i, people) in sessions.iter().enumerate() {
        for p in people {
            let email = lower(&p.email);
            let person = email
                .clone()
                .unwrap_or_else(|| format!("{}/{}", i + 1, p.key.to_stored()));
            let row = rows.entry(person.clone()).or_insert_with(|| MatrixRow {
                person,
                session_key: email.is_none().then(|| p.key.to_stored()),
                email,
                name: p.name.clone(),
                cells: vec![None; n],
                attended: 0,
                complete: false,
            });
            if row.name.is_empty() {
                row.name = p.name.clone();
            }
            // Two rows of one person in one session (two e-mails matched one way): best wins.
            let cell = &mut row.cells[i];
            *cell = Some(cell.map_or(p.outcome, |c| c.min(p.outcome)));
        }
    }
    let mut out: Vec<MatrixRow> = rows
        .into_values()
        .map(|mut r| {
            r.attended = r
                .cells
                .iter()
                .filter(|c| **c == Some(Outcome::Attended))
                .count();
            r.complete = n > 0 && r.attended as f64 * 100.0 / n as f64 >= rules.completion_pct;
            r
        })
        .collect();
    out.sort_by_key(|r| r.name.to_lowercase());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(hm: &str) -> DateTime<Utc> {
        format!("2027-03-02T{hm}:00Z").parse().unwrap()
    }

    fn iv(a: &str, b: &str) -> Interval {
        Interval {
            join: t(a),
            leave: t(b),
        }
    }

    fn rec(report: &str, email: Option<&str>, reg: Option<&str>, ivs: Vec<Interval>) -> Record {
        Record {
            report_id: report.into(),
            email: email.map(str::to_string),
            name: email.map(|e| e.split('@').next().unwrap().to_string()),
            identity_id: None,
            registration_id: reg.map(str::to_string),
            role: Some("Attendee".into()),
            intervals: ivs,
        }
    }

    fn reg(id: &str, email: &str) -> Registrant {
        Registrant {
            registration_id: id.into(),
            email: Some(email.into()),
            name: email.split('@').next().unwrap().into(),
            status: "registered".into(),
        }
    }

    fn metrics(regs: &[Registrant], recs: &[Record]) -> SessionMetrics {
        session_metrics(t("10:00"), t("11:00"), regs, recs, Rules::default())
    }

    fn person<'a>(m: &'a SessionMetrics, email: &str) -> &'a PersonSession {
        m.people
            .iter()
            .find(|p| p.email.as_deref().map(str::to_lowercase).as_deref() == Some(email))
            .unwrap_or_else(|| panic!("no {email} in {:#?}", m.people))
    }

    #[test]
    fn overlaps_merge_and_a_rejoin_is_counted_once() {
        let m = metrics(
            &[reg("r1", "ann@x.com")],
            &[rec(
                "rep1",
                Some("ann@x.com"),
                Some("r1"),
                vec![
                    iv("10:00", "10:30"),
                    iv("10:20", "10:40"), // a second device, overlapping
                    iv("10:45", "11:00"), // came back
                ],
            )],
        );
        let ann = person(&m, "ann@x.com");
        assert_eq!(ann.seconds_present, 55 * 60);
        assert_eq!(ann.rejoins, 1);
        assert_eq!(ann.intervals.len(), 2);
        assert_eq!(ann.pct_of_scheduled, 91.7);
        assert_eq!(ann.outcome, Outcome::Attended);
        assert_eq!((ann.late_minutes, ann.early_leave_minutes), (0, 0));
    }

    #[test]
    fn a_registration_listed_twice_is_one_person_and_one_without_an_address_takes_the_records() {
        let mut phone = reg("r2", "x@x.com");
        phone.email = None;
        phone.name = "Bo".into();
        let m = metrics(
            &[reg("r1", "ann@x.com"), reg("r1", "ann@x.com"), phone],
            &[rec(
                "rep1",
                Some("Bo@Y.com"),
                Some("r2"),
                vec![iv("10:00", "10:10")],
            )],
        );
        assert_eq!(m.people.len(), 2, "{:#?}", m.people);
        assert_eq!(
            m.people
                .iter()
                .filter(|p| p.key == PersonKey::Registration("r1".into()))
                .count(),
            1
        );
        let bo = person(&m, "bo@y.com");
        assert_eq!((bo.name.as_str(), bo.registered), ("Bo", true));
        assert_eq!(bo.registration_id.as_deref(), Some("r2"));
    }

    #[test]
    fn a_registration_listed_twice_with_two_addresses_is_still_one_person() {
        // Found by the tally's property test: a record matched by the first listing's address
        // and one by the registration id made two rows with the same key.
        let mut later = reg("r2", "x@x.com");
        later.email = None;
        let m = metrics(
            &[reg("r2", "p5@x.com"), later],
            &[
                rec("rep1", Some("P5@x.com"), None, vec![iv("10:00", "10:20")]),
                rec("rep1", None, Some("r2"), vec![iv("10:30", "10:40")]),
            ],
        );
        assert_eq!(m.people.len(), 1, "{:#?}", m.people);
        let p = &m.people[0];
        assert_eq!(p.key, PersonKey::Registration("r2".into()));
        assert_eq!((p.seconds_present, p.rejoins), (30 * 60, 1));
        assert_eq!(
            p.email.as_deref(),
            Some("P5@x.com"),
            "the later listing has no address"
        );
    }

    #[test]
    fn a_restarted_meeting_is_combined_across_report_versions() {
        // The meeting broke at 10:25 and was restarted: two reports, one person in both.
        let m = metrics(
            &[reg("r1", "bo@x.com")],
            &[
                rec(
                    "v1",
                    Some("bo@x.com"),
                    Some("r1"),
                    vec![iv("10:05", "10:25")],
                ),
                rec("v2", Some("BO@x.com"), None, vec![iv("10:28", "10:50")]),
            ],
        );
        assert_eq!(m.people.len(), 1, "one person, not two: {:#?}", m.people);
        let bo = &m.people[0];
        assert_eq!(bo.seconds_present, 42 * 60);
        assert_eq!(bo.rejoins, 1);
        assert_eq!((bo.late_minutes, bo.early_leave_minutes), (5, 10));
        assert_eq!(bo.outcome, Outcome::Partial, "70% < 80%");
    }

    #[test]
    fn time_outside_the_schedule_counts_as_presence_but_not_toward_the_percentage() {
        let m = metrics(
            &[reg("r1", "cy@x.com")],
            &[rec(
                "v1",
                Some("cy@x.com"),
                Some("r1"),
                vec![iv("09:40", "10:30"), iv("10:55", "11:20")],
            )],
        );
        let cy = person(&m, "cy@x.com");
        assert_eq!(cy.seconds_present, 75 * 60);
        assert_eq!(cy.pct_of_scheduled, 58.3, "35 of 60 minutes inside");
        assert_eq!((cy.late_minutes, cy.early_leave_minutes), (0, 0));
        assert_eq!(cy.first_join, Some(t("09:40")));
    }

    /// Before a report there are registrations but no outcomes; once a report is seen — even
    /// one nobody appears in — the registrants who did not come are no-shows.
    #[test]
    fn registrants_are_no_shows_only_once_a_report_is_seen() {
        let mut canceled = reg("cy", "cy@x.com");
        canceled.status = "canceled".into();
        let regs = [reg("ada", "ada@x.com"), reg("bob", "bob@x.com"), canceled];
        let before = before_any_report(&regs);
        assert_eq!(
            (before.registered, before.no_shows, before.people.len()),
            (2, 0, 0),
            "{before:?}"
        );
        let empty_report = metrics(&regs, &[]);
        assert_eq!(
            (
                empty_report.registered,
                empty_report.no_shows,
                empty_report.people.len()
            ),
            (2, 2, 2),
            "{empty_report:?}"
        );
    }

    #[test]
    fn zero_length_intervals_no_shows_and_canceled_registrations() {
        let mut canceled = reg("r3", "dee@x.com");
        canceled.status = "canceled".into();
        let m = metrics(
            &[reg("r1", "eve@x.com"), reg("r2", "fay@x.com"), canceled],
            &[rec(
                "v1",
                Some("eve@x.com"),
                Some("r1"),
                vec![iv("10:10", "10:10")],
            )],
        );
        let eve = person(&m, "eve@x.com");
        assert_eq!(eve.seconds_present, 0);
        assert_eq!(eve.outcome, Outcome::NoShow);
        assert_eq!(eve.first_join, Some(t("10:10")), "the join is kept");
        assert_eq!(person(&m, "fay@x.com").outcome, Outcome::NoShow);
        assert_eq!((m.registered, m.no_shows, m.attended), (2, 2, 0));
        assert!(
            m.people
                .iter()
                .all(|p| p.email.as_deref() != Some("dee@x.com"))
        );
    }

    #[test]
    fn matching_by_registration_then_email_else_unregistered_never_guessed() {
        let m = metrics(
            &[reg("r1", "gil@x.com"), reg("r2", "hal@x.com")],
            &[
                // Registration id wins even if the e-mail differs (an alias).
                rec(
                    "v1",
                    Some("g.alias@x.com"),
                    Some("r1"),
                    vec![iv("10:00", "11:00")],
                ),
                // E-mail, case-insensitively.
                rec("v1", Some("HAL@X.COM"), None, vec![iv("10:00", "11:00")]),
                // Neither: listed as unregistered, by e-mail.
                rec("v1", Some("ivy@x.com"), None, vec![iv("10:00", "10:30")]),
                // No e-mail at all (an anonymous guest): by identity, never merged with others.
                Record {
                    identity_id: Some("guest-1".into()),
                    name: Some("Guest".into()),
                    ..rec("v1", None, None, vec![iv("10:00", "10:50")])
                },
            ],
        );
        assert_eq!(m.people.len(), 4);
        let gil = m
            .people
            .iter()
            .find(|p| p.key == PersonKey::Registration("r1".into()))
            .unwrap();
        assert_eq!(
            gil.email.as_deref(),
            Some("gil@x.com"),
            "the registration's"
        );
        assert!(person(&m, "hal@x.com").registered);
        let ivy = person(&m, "ivy@x.com");
        assert!(!ivy.registered);
        assert_eq!(ivy.key, PersonKey::Email("ivy@x.com".into()));
        assert!(
            m.people
                .iter()
                .any(|p| p.key == PersonKey::Anonymous("guest-1".into()) && !p.registered)
        );
        assert_eq!((m.unregistered, m.attended, m.partial), (2, 3, 1));
    }

    /// Time present, time inside the schedule, and late and early minutes count whole ones:
    /// fractions inside and outside the schedule are cut off, never rounded up.
    #[test]
    fn seconds_and_minutes_are_whole_ones_cut_off_never_rounded_up() {
        let at = |s: &str| -> DateTime<Utc> { format!("2027-03-02T{s}Z").parse().unwrap() };
        let span = |a: &str, b: &str| Interval {
            join: at(a),
            leave: at(b),
        };
        let recs = [
            rec(
                "r",
                Some("ann@x.com"),
                None,
                vec![
                    span("10:00:59.900", "10:20:01.950"),
                    span("10:30:00", "10:59:29.500"),
                ],
            ),
            rec(
                "r",
                Some("bob@x.com"),
                None,
                vec![span("09:58:00.500", "10:01:30.700")],
            ),
            rec(
                "r",
                Some("cy@x.com"),
                None,
                vec![span("10:02:30", "10:57:00")],
            ),
        ];
        let m = metrics(&[], &recs);
        let ann = person(&m, "ann@x.com");
        // 19:02.05 and 29:29.5 → 1,142 s + 1,769 s; 59.9 s late and 30.5 s early are no minutes.
        assert_eq!(
            (
                ann.seconds_present,
                ann.late_minutes,
                ann.early_leave_minutes
            ),
            (2_911, 0, 0)
        );
        assert_eq!(ann.pct_of_scheduled, 80.9, "2,911 of 3,600 s");
        let bob = person(&m, "bob@x.com");
        // 3:30.2 present, 1:30.7 of it after the start: 210 s, and 90 s inside (2.5 %).
        assert_eq!((bob.seconds_present, bob.late_minutes), (210, 0));
        assert_eq!(bob.pct_of_scheduled, 2.5);
        assert_eq!(bob.early_leave_minutes, 58, "58:29.3 before the end");
        let cy = person(&m, "cy@x.com");
        assert_eq!(
            (cy.seconds_present, cy.late_minutes, cy.early_leave_minutes),
            (3_270, 2, 3)
        );
    }

    /// A stay shorter than a second is someone present on the curve at the minute it spans,
    /// but not toward the peak; three people overlapping only through it are two at once.
    #[test]
    fn a_stay_under_a_second_shows_on_the_curve_but_not_in_the_peak() {
        let blip = Interval {
            join: t("10:10") - Duration::milliseconds(200),
            leave: t("10:10") + Duration::milliseconds(300),
        };
        let m = metrics(
            &[],
            &[
                rec("v1", Some("a@x.com"), None, vec![iv("10:00", "10:30")]),
                rec("v1", Some("b@x.com"), None, vec![iv("10:05", "10:20")]),
                rec("v1", Some("c@x.com"), None, vec![blip]),
            ],
        );
        assert_eq!(m.peak_concurrent, 2, "{:?}", m.presence);
        let at = |hm: &str| m.presence.iter().find(|(t0, _)| *t0 == t(hm)).unwrap().1;
        assert_eq!((at("10:09"), at("10:10"), at("10:11")), (2, 3, 2));
        assert_eq!(m.presence.first().unwrap().0, t("10:00"));
    }

    #[test]
    fn session_numbers_and_the_presence_curve() {
        let m = metrics(
            &[reg("r1", "a@x.com"), reg("r2", "b@x.com")],
            &[
                rec(
                    "v1",
                    Some("a@x.com"),
                    Some("r1"),
                    vec![iv("10:00", "10:30")],
                ),
                rec(
                    "v1",
                    Some("b@x.com"),
                    Some("r2"),
                    vec![iv("10:30", "11:00")],
                ),
                rec("v1", Some("c@x.com"), None, vec![iv("10:15", "10:45")]),
            ],
        );
        assert_eq!(
            m.peak_concurrent, 2,
            "a hand-over at 10:30 is not three at once"
        );
        assert_eq!(m.average_seconds, 30 * 60);
        let at = |hm: &str| m.presence.iter().find(|(t0, _)| *t0 == t(hm)).unwrap().1;
        assert_eq!(
            (at("10:00"), at("10:20"), at("10:50"), at("11:00")),
            (1, 2, 1, 0)
        );
        assert_eq!(m.presence.first().unwrap().0, t("10:00"));
    }

    proptest::proptest! {
        /// The peak equals the most stays (of a second or more) holding any one join instant.
        #[test]
        fn the_peak_is_the_most_people_present_at_once(
            stays in proptest::collection::vec((0i64..120, 0i64..40), 1..25)
        ) {
            let start = t("10:00");
            let records: Vec<Record> = stays
                .iter()
                .enumerate()
                .map(|(k, &(from, len))| {
                    let join = start + Duration::seconds(from * 30);
                    rec(
                        "v1",
                        Some(&format!("p{k}@x.com")),
                        None,
                        vec![Interval { join, leave: join + Duration::seconds(len * 30) }],
                    )
                })
                .collect();
            let m = metrics(&[], &records);
            let held: Vec<(i64, i64)> = stays
                .iter()
                .filter(|s| s.1 > 0)
                .map(|&(from, len)| (from, from + len))
                .collect();
            let naive = held
                .iter()
                .map(|&(at, _)| held.iter().filter(|&&(j, l)| j <= at && at < l).count())
                .max()
                .unwrap_or(0);
            proptest::prop_assert_eq!(m.peak_concurrent, naive);
        }
    }

    /// Registrations of a few people (ids and addresses shared, some canceled or without
    /// an address) and records of them and of others across three report versions.
    fn session_shape() -> impl proptest::strategy::Strategy<Value = (Vec<Registrant>, Vec<Record>)>
    {
        use proptest::prelude::*;
        let registrant = (
            0u8..6,
            proptest::option::of((0u8..8, any::<bool>())),
            any::<bool>(),
        )
            .prop_map(|(id, email, canceled)| Registrant {
                registration_id: format!("r{id}"),
                email: email.map(|(k, up)| addr(k, up)),
                name: format!("Reg {id}"),
                status: if canceled { "canceled" } else { "registered" }.into(),
            });
        let record = (
            0u8..3,
            proptest::option::of(0u8..8),
            proptest::option::of((0u8..8, any::<bool>())),
            proptest::option::of(0u8..4),
            proptest::option::of(0u8..3),
            proptest::collection::vec((0i64..90, 0i64..40), 0..3),
        )
            .prop_map(|(report, reg, email, name, identity, stays)| Record {
                report_id: format!("rep{report}"),
                email: email.map(|(k, up)| addr(k, up)),
                name: name.map(|n| format!("Caller {n}")),
                // Teams gives phone callers an empty identity.
                identity_id: identity.map(|i| if i == 0 { " ".into() } else { format!("id{i}") }),
                registration_id: reg.map(|r| format!("r{r}")),
                role: Some("Attendee".into()),
                intervals: stays
                    .into_iter()
                    .map(|(from, len)| {
                        let join = t("09:50") + Duration::minutes(from);
                        Interval {
                            join,
                            leave: join + Duration::minutes(len),
                        }
                    })
                    .collect(),
            });
        (
            proptest::collection::vec(registrant, 0..8),
            proptest::collection::vec(record, 0..24),
        )
    }

    fn addr(k: u8, upper: bool) -> String {
        let a = format!("p{k}@x.com");
        if upper { a.to_uppercase() } else { a }
    }

    proptest::proptest! {
        /// Fed a page at a time, reports interleaved, the registrations known before, between
        /// or after the pages, a tally ends with exactly the rows and numbers of the whole.
        #[test]
        fn a_tally_fed_page_by_page_gives_what_the_whole_gives(
            (regs, recs) in session_shape(),
            page in 1usize..5,
            known_after in 0usize..12,
        ) {
            let rules = Rules::default();
            // Each report's records in their order, as the store keeps them.
            let mut whole: Vec<Record> = recs.clone();
            whole.sort_by(|a, b| a.report_id.cmp(&b.report_id));
            let mut pages: Vec<Vec<Record>> = Vec::new();
            for report in ["rep0", "rep1", "rep2"] {
                let mine: Vec<Record> =
                    whole.iter().filter(|r| r.report_id == report).cloned().collect();
                for (i, chunk) in mine.chunks(page).enumerate() {
                    // Round robin: the reports' pages arrive interleaved.
                    let at = (i * 3).min(pages.len());
                    pages.insert(at, chunk.to_vec());
                }
            }
            let mut tally = Tally::new(|p: PersonSession| p);
            for (i, p) in pages.into_iter().enumerate() {
                if i == known_after {
                    tally.know(t("10:00"), t("11:00"), regs.clone(), rules);
                }
                tally.feed(p);
            }
            if tally.known.is_none() {
                tally.know(t("10:00"), t("11:00"), regs.clone(), rules);
            }
            let counts: Vec<(&str, usize)> = ["rep0", "rep1", "rep2"]
                .iter()
                .map(|id| (*id, whole.iter().filter(|r| r.report_id == *id).count()))
                .collect();
            proptest::prop_assert!(tally.fits(Some(t("10:00")), Some(t("11:00")), rules, &counts));
            let (numbers, mut people) = tally.finish().expect("known");
            let mut expected = session_metrics(t("10:00"), t("11:00"), &regs, &whole, rules);
            let mut rows = std::mem::take(&mut expected.people);
            rows.sort_by(|a, b| a.key.cmp(&b.key));
            people.sort_by(|a, b| a.key.cmp(&b.key));
            proptest::prop_assert!(
                rows.windows(2).all(|w| w[0].key != w[1].key),
                "one row per person"
            );
            proptest::prop_assert_eq!(people, rows);
            proptest::prop_assert_eq!(numbers, expected);
        }
    }

    #[test]
    fn a_tally_fits_only_the_reports_and_frame_it_was_fed() {
        let mut tally = Tally::new(|p: PersonSession| p);
        let rules = Rules::default();
        assert!(
            !tally.fits(Some(t("10:00")), Some(t("11:00")), rules, &[]),
            "not known yet"
        );
        tally.feed(vec![rec(
            "rep1",
            Some("a@x.com"),
            None,
            vec![iv("10:00", "10:10")],
        )]);
        tally.know(t("10:00"), t("11:00"), vec![reg("r1", "a@x.com")], rules);
        let (start, end) = (Some(t("10:00")), Some(t("11:00")));
        assert!(tally.fits(start, end, rules, &[("rep1", 1)]));
        assert!(tally.fits(start, end, rules, &[("rep1", 1), ("empty", 0)]));
        assert!(
            !tally.fits(start, end, rules, &[("rep1", 2)]),
            "a record missing"
        );
        assert!(
            !tally.fits(start, end, rules, &[("rep2", 1)]),
            "another report"
        );
        assert!(
            !tally.fits(start, end, rules, &[]),
            "a report the plan lacks"
        );
        assert!(!tally.fits(None, end, rules, &[("rep1", 1)]), "no schedule");
        let stricter = Rules {
            attended_pct: 90.0,
            ..rules
        };
        assert!(
            !tally.fits(start, end, stricter, &[("rep1", 1)]),
            "other rules"
        );
        let (numbers, people) = tally.finish().expect("known");
        assert_eq!((numbers.attended, numbers.partial, people.len()), (0, 1, 1));
        assert_eq!(
            people[0].key,
            PersonKey::Registration("r1".into()),
            "matched by address"
        );
    }

    #[test]
    fn in_a_large_session_each_person_gets_the_row_they_get_alone_in_the_order_first_seen() {
        // Enough people for the per-person work to be shared out over the cores, in every
        // shape: no-shows, rejoins, matched by address only, restarts, late joins, and people
        // who did not register.
        let n = PARALLEL_FROM + 500;
        let at = |minute: usize| t("10:00") + Duration::minutes(minute as i64);
        let span = |a: usize, b: usize| Interval {
            join: at(a),
            leave: at(b),
        };
        let regs: Vec<Registrant> = (0..n)
            .map(|i| reg(&format!("r{i}"), &format!("p{i}@x.com")))
            .collect();
        let mut recs: Vec<Record> = Vec::new();
        for i in 0..n {
            let (id, email) = (format!("r{i}"), format!("p{i}@x.com"));
            let m = i % 50;
            match i % 5 {
                0 => {}
                1 => recs.push(rec(
                    "rep1",
                    Some(&email),
                    Some(&id),
                    vec![span(m, m + 5), span(m + 8, 60)],
                )),
                2 => recs.push(rec(
                    "rep1",
                    Some(&email.to_uppercase()),
                    None,
                    vec![span(m, m + 30)],
                )),
                3 => {
                    recs.push(rec("rep1", Some(&email), Some(&id), vec![span(m, m + 9)]));
                    recs.push(rec("rep2", Some(&email), Some(&id), vec![span(m + 4, 70)]));
                }
                _ => recs.push(rec("rep2", Some(&email), Some(&id), vec![span(m + 10, 70)])),
            }
        }
        for j in 0..300 {
            recs.push(rec(
                "rep1",
                Some(&format!("u{j}@y.com")),
                None,
                vec![span(j % 60, 60)],
            ));
        }
        let all = metrics(&regs, &recs);
        assert!(all.people.len() >= PARALLEL_FROM, "{}", all.people.len());

        // Who each record is (a registration, else an address); first seen by earliest join,
        // then report; then the registrations nobody's records named.
        let key_of = |r: &Record| match &r.registration_id {
            Some(id) => PersonKey::Registration(id.clone()),
            None => match r.email.as_deref().unwrap().to_lowercase().strip_prefix('p') {
                Some(rest) => {
                    PersonKey::Registration(format!("r{}", rest.trim_end_matches("@x.com")))
                }
                None => PersonKey::Email(r.email.clone().unwrap()),
            },
        };
        let mut by_join: Vec<&Record> = recs.iter().collect();
        by_join.sort_by_key(|r| {
            (
                r.intervals.iter().map(|i| i.join).min(),
                r.report_id.clone(),
            )
        });
        let mut expected: Vec<PersonKey> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for k in by_join.into_iter().map(key_of).chain(
            regs.iter()
                .map(|r| PersonKey::Registration(r.registration_id.clone())),
        ) {
            if seen.insert(k.clone()) {
                expected.push(k);
            }
        }
        let keys: Vec<&PersonKey> = all.people.iter().map(|p| &p.key).collect();
        assert_eq!(
            keys,
            expected.iter().collect::<Vec<_>>(),
            "rows in the order first seen"
        );

        for (i, row) in all.people.iter().enumerate().step_by(7) {
            let mine: Vec<Record> = recs
                .iter()
                .filter(|r| key_of(r) == row.key)
                .cloned()
                .collect();
            let registered: Vec<Registrant> = regs
                .iter()
                .filter(|r| row.registration_id.as_deref() == Some(r.registration_id.as_str()))
                .cloned()
                .collect();
            let alone = metrics(&registered, &mine);
            assert_eq!(alone.people.len(), 1, "row {i}: {:?}", row.key);
            assert_eq!(&alone.people[0], row, "row {i}");
        }
        assert_eq!(all.registered, n);
        assert_eq!(all.no_shows, n.div_ceil(5));
        assert_eq!(all.unregistered, 300);
    }

    #[test]
    fn an_empty_session_has_no_curve_and_no_division_by_zero() {
        let m = metrics(&[reg("r1", "a@x.com")], &[]);
        assert_eq!((m.peak_concurrent, m.average_seconds), (0, 0));
        assert!(m.presence.is_empty());
        assert_eq!(m.no_shows, 1);
    }

    #[test]
    fn the_series_matrix_counts_sessions_and_applies_the_completion_rule() {
        let full = |e: &str, r: &str| rec("v", Some(e), Some(r), vec![iv("10:00", "11:00")]);
        let s1 = metrics(
            &[reg("a1", "ann@x.com"), reg("b1", "bob@x.com")],
            &[full("ann@x.com", "a1"), full("bob@x.com", "b1")],
        );
        let s2 = metrics(&[reg("a2", "Ann@x.com")], &[full("ann@x.com", "a2")]);
        let s3 = metrics(
            &[reg("a3", "ann@x.com"), reg("b3", "bob@x.com")],
            &[full("ann@x.com", "a3")],
        );
        let s4 = metrics(&[reg("a4", "ann@x.com")], &[]);
        let m = series_matrix(
            &[s1.people, s2.people, s3.people, s4.people],
            Rules::default(),
        );
        assert_eq!(m.len(), 2);
        let ann = &m[0];
        assert_eq!(ann.person, "ann@x.com");
        assert_eq!(
            ann.cells,
            [
                Some(Outcome::Attended),
                Some(Outcome::Attended),
                Some(Outcome::Attended),
                Some(Outcome::NoShow)
            ]
        );
        assert_eq!((ann.attended, ann.complete), (3, true), "3 of 4 = 75%");
        let bob = &m[1];
        assert_eq!(
            bob.cells,
            [Some(Outcome::Attended), None, Some(Outcome::NoShow), None]
        );
        assert_eq!((bob.attended, bob.complete), (1, false));
    }

    #[test]
    fn callers_with_an_empty_identity_are_told_apart_by_name_in_any_record_order() {
        let caller = |number: &str, report: &str, ivs| Record {
            name: Some(number.into()),
            identity_id: Some(String::new()),
            ..rec(report, None, None, ivs)
        };
        let records = [
            caller("+49 30 555 0002", "v2", vec![iv("10:40", "11:00")]),
            caller("+49 30 555 0001", "v1", vec![iv("10:00", "10:20")]),
            caller("+49 30 555 0001", "v2", vec![iv("10:30", "10:50")]),
        ];
        let m = metrics(&[], &records);
        let keys: Vec<_> = m.people.iter().map(|p| p.key.to_stored()).collect();
        assert_eq!(
            keys,
            ["anonymous:+49 30 555 0001", "anonymous:+49 30 555 0002"],
            "two callers, not one person with an empty id"
        );
        assert_eq!(m.people[0].rejoins, 1, "{:?}", m.people[0]);
        let mut reversed = records.to_vec();
        reversed.reverse();
        assert_eq!(
            metrics(&[], &reversed),
            m,
            "the order records are read in changes nothing"
        );
    }

    #[test]
    fn people_without_an_e_mail_are_never_merged_across_sessions_by_name() {
        let caller = |ivs| Record {
            name: Some("Caller 0123".into()),
            ..rec("v", None, None, ivs)
        };
        let s1 = metrics(&[], &[caller(vec![iv("10:00", "11:00")])]);
        let s2 = metrics(&[], &[caller(vec![iv("10:00", "11:00")])]);
        let m = series_matrix(&[s1.people, s2.people], Rules::default());
        assert_eq!(m.len(), 2, "one row per session: {m:?}");
        assert_eq!(m[0].cells, [Some(Outcome::Attended), None]);
        assert_eq!(m[1].cells, [None, Some(Outcome::Attended)]);
        assert_eq!(m[0].email, None);
        assert_eq!(
            m[0].session_key.as_deref(),
            Some("anonymous:Caller 0123"),
            "the drawer finds them within their session by this key"
        );
        assert_eq!(
            PersonKey::from_stored(m[0].session_key.as_deref().unwrap()),
            PersonKey::Anonymous("Caller 0123".into())
        );
        assert_ne!(m[0].person, m[1].person);
    }
}
