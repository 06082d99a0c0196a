//! A session's attendance sheet: one row per person (registered, or seen in a report) with
//! their time present and outcome — what the session's table, the series matrix, the person
//! drawer and the exports read. Derived from the kept report versions and registrations, kept
//! as one value per session (migration 12) and paged in memory.
//!
//! Invariants: a sheet is recomputed and written whole, in the transaction that wrote what it
//! derives from, and only when it changed; its people are in name order (lower-case name, then
//! person key); a loaded sheet is known by the generation it was written as, and a read checks
//! that generation against the local copy first, so a page never shows a sheet a later sync
//! replaced — whichever process wrote it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::attendance::PageQuery;
use crate::attendance::{Outcome, comparable_email};

/// One person's row of a session (kept as [`StoredPerson`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SheetPerson {
    /// `PersonKey::to_stored`.
    pub key: String,
    pub registration_id: Option<String>,
    pub email: Option<String>,
    pub email_lower: Option<String>,
    pub name: String,
    pub name_lower: String,
    pub registered: bool,
    pub seconds_present: i64,
    pub pct: f64,
    /// Unix milliseconds.
    pub first_join: Option<i64>,
    pub last_leave: Option<i64>,
    pub rejoins: u32,
    pub late_minutes: i64,
    pub early_leave_minutes: i64,
    pub outcome: Outcome,
    /// Merged, in Unix milliseconds.
    pub intervals: Vec<(i64, i64)>,
    /// Of everything above: tells which people a recompute changed.
    pub digest: i64,
}

/// A sheet: its people in name order, and their positions in e-mail order (worked out where
/// the sheet is computed, since sorting text is the costly order).
#[derive(Debug, Default, PartialEq)]
pub(super) struct Sheet {
    pub people: Vec<SheetPerson>,
    pub by_email: Vec<u32>,
}

impl Sheet {
    /// People sorted into name order, with the e-mail order worked out.
    pub fn new(people: Vec<SheetPerson>) -> Self {
        let n = people.len();
        let by_name = |a: u32, b: u32| {
            let (a, b) = (&people[a as usize], &people[b as usize]);
            a.name_lower
                .cmp(&b.name_lower)
                .then_with(|| a.key.cmp(&b.key))
        };
        // Both orders of the people as given, side by side on a large sheet. Ties in e-mail
        // order (a shared address, or none) go by name order; keys are unique, so name order
        // leaves no ties (the position settles any all the same).
        let name_order = || sort_by_text(n, |i| people[i].name_lower.as_bytes(), by_name);
        let email_order = || {
            sort_by_text(
                n,
                |i| people[i].email_lower.as_deref().unwrap_or("").as_bytes(),
                |a, b| {
                    people[a as usize]
                        .email_lower
                        .cmp(&people[b as usize].email_lower)
                        .then_with(|| by_name(a, b))
                        .then(a.cmp(&b))
                },
            )
        };
        let large = n >= crate::attendance::PARALLEL_FROM;
        let (order, by_email) = crate::attendance::both(large, name_order, email_order);
        // Positions are sorted, not the people (moving a person moves some 250 bytes), then
        // the people are put in that order once, and the e-mail order told in their new places.
        let mut placed = vec![0u32; n];
        for (at, &i) in order.iter().enumerate() {
            placed[i as usize] = at as u32;
        }
        let by_email = by_email.iter().map(|&i| placed[i as usize]).collect();
        let mut slots: Vec<Option<SheetPerson>> = people.into_iter().map(Some).collect();
        let people: Vec<SheetPerson> = order
            .iter()
            .map(|&i| slots[i as usize].take().expect("each position once"))
            .collect();
        Self { people, by_email }
    }

    /// The sheet as kept (postcard of [`StoredSheet`]).
    pub fn encode(&self) -> Vec<u8> {
        let stored = StoredSheet {
            people: self.people.iter().map(StoredPerson::of).collect(),
            by_email: std::borrow::Cow::Borrowed(&self.by_email),
        };
        postcard::to_stdvec(&stored).expect("plain data serializes")
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let corrupt = |e: String| StoreError::Corrupt(format!("attendance sheet: {e}"));
        let stored: StoredSheet<'_> =
            postcard::from_bytes(bytes).map_err(|e| corrupt(e.to_string()))?;
        let people = stored
            .people
            .into_iter()
            .map(StoredPerson::person)
            .collect::<Result<_, _>>()
            .map_err(corrupt)?;
        Ok(Self {
            people,
            by_email: stored.by_email.into_owned(),
        })
    }

    /// Every lower-case e-mail, one per line between newlines (an empty line for a person
    /// without one), so `instr(emails, '\n' || ? || '\n')` finds the sheets a person is on.
    pub fn emails(&self) -> String {
        let mut out = String::with_capacity(1 + self.people.len() * 32);
        out.push('\n');
        for p in &self.people {
            if let Some(e) = &p.email_lower {
                out.push_str(e);
            }
            out.push('\n');
        }
        out
    }
}

/// The lower-case name a person's row keeps (what sorting and searching compare).
pub(crate) fn lower_name(name: &str) -> String {
    name.to_lowercase()
}

/// Whether `lower` is what `lowered` makes of `text` (one of [`lower_name`] and
/// [`comparable_email`], which for ASCII text without spaces around it are ASCII lowering):
/// without making it then.
fn is_lowered(lower: &str, text: &str, lowered: fn(&str) -> String) -> bool {
    if text.is_ascii()
        && !text.starts_with(char::is_whitespace)
        && !text.ends_with(char::is_whitespace)
    {
        lower.len() == text.len()
            && lower
                .bytes()
                .zip(text.bytes())
                .all(|(l, t)| l == t.to_ascii_lowercase())
    } else {
        lower == lowered(text)
    }
}

/// A sheet as kept (migration 15): what a row can work out from its other fields on load is
/// not kept — its key when it is the registration's or the e-mail's, its lower-case name and
/// e-mail when they are the name and e-mail lowered — and its times are kept as differences,
/// which are small numbers. That is about half a sheet's bytes (694 KB → 365 KB for a session
/// of 3,000 records and 1,000 registrations), which a sync of a series writes at its end, one
/// session after another.
#[derive(Serialize, Deserialize)]
struct StoredSheet<'a> {
    #[serde(borrow)]
    people: Vec<StoredPerson<'a>>,
    by_email: std::borrow::Cow<'a, [u32]>,
}

#[derive(Serialize, Deserialize)]
struct StoredPerson<'a> {
    #[serde(borrow)]
    key: StoredKey<'a>,
    registration_id: Option<std::borrow::Cow<'a, str>>,
    email: Option<std::borrow::Cow<'a, str>>,
    /// `None` when it is the e-mail lowered ([`comparable_email`]).
    email_lower: Option<Option<std::borrow::Cow<'a, str>>>,
    name: std::borrow::Cow<'a, str>,
    /// `None` when it is the name lowered ([`lower_name`]).
    name_lower: Option<std::borrow::Cow<'a, str>>,
    registered: bool,
    seconds_present: i64,
    pct: f64,
    first_join: Option<i64>,
    /// After the first join (after 0 without one).
    last_leave: Option<i64>,
    rejoins: u32,
    late_minutes: i64,
    early_leave_minutes: i64,
    outcome: Outcome,
    /// Each interval as (its join after the previous leave, its length); the first join is
    /// after the person's first join (after 0 without one).
    intervals: Vec<(i64, i64)>,
    digest: i64,
}

/// A person's key as kept (see [`crate::attendance::PersonKey::to_stored`]).
#[derive(Serialize, Deserialize)]
enum StoredKey<'a> {
    /// `registration:` and the row's registration id.
    Registration,
    /// `email:` and the row's lower-case e-mail.
    Email,
    Other(std::borrow::Cow<'a, str>),
}

impl<'a> StoredPerson<'a> {
    fn of(p: &'a SheetPerson) -> Self {
        use std::borrow::Cow::Borrowed;
        let email_lower = match (&p.email, &p.email_lower) {
            (Some(e), Some(l)) if is_lowered(l, e, comparable_email) => None,
            (None, None) => None,
            (_, l) => Some(l.as_deref().map(Borrowed)),
        };
        let key = if p
            .registration_id
            .as_deref()
            .is_some_and(|id| p.key.strip_prefix("registration:") == Some(id))
        {
            StoredKey::Registration
        } else if p.email_lower.is_some()
            && p.key.strip_prefix("email:") == p.email_lower.as_deref()
        {
            StoredKey::Email
        } else {
            StoredKey::Other(Borrowed(&p.key))
        };
        let base = p.first_join.unwrap_or(0);
        let mut previous = base;
        let intervals = p
            .intervals
            .iter()
            .map(|&(join, leave)| {
                let kept = (join.wrapping_sub(previous), leave.wrapping_sub(join));
                previous = leave;
                kept
            })
            .collect();
        StoredPerson {
            key,
            registration_id: p.registration_id.as_deref().map(Borrowed),
            email: p.email.as_deref().map(Borrowed),
            email_lower,
            name: Borrowed(&p.name),
            name_lower: (!is_lowered(&p.name_lower, &p.name, lower_name))
                .then_some(Borrowed(p.name_lower.as_str())),
            registered: p.registered,
            seconds_present: p.seconds_present,
            pct: p.pct,
            first_join: p.first_join,
            last_leave: p.last_leave.map(|t| t.wrapping_sub(base)),
            rejoins: p.rejoins,
            late_minutes: p.late_minutes,
            early_leave_minutes: p.early_leave_minutes,
            outcome: p.outcome,
            intervals,
            digest: p.digest,
        }
    }

    fn person(self) -> Result<SheetPerson, String> {
        let email_lower = match self.email_lower {
            Some(kept) => kept.map(std::borrow::Cow::into_owned),
            None => self.email.as_deref().map(comparable_email),
        };
        let key = match self.key {
            StoredKey::Registration => match &self.registration_id {
                Some(id) => ["registration:", id].concat(),
                None => return Err("a registration's key without its registration id".into()),
            },
            StoredKey::Email => match &email_lower {
                Some(e) => ["email:", e].concat(),
                None => return Err("an e-mail key without an e-mail".into()),
            },
            StoredKey::Other(key) => key.into_owned(),
        };
        let base = self.first_join.unwrap_or(0);
        let mut previous = base;
        let intervals = self
            .intervals
            .into_iter()
            .map(|(after, length)| {
                let join = previous.wrapping_add(after);
                previous = join.wrapping_add(length);
                (join, previous)
            })
            .collect();
        Ok(SheetPerson {
            key,
            name_lower: match self.name_lower {
                Some(kept) => kept.into_owned(),
                None => lower_name(&self.name),
            },
            registration_id: self.registration_id.map(std::borrow::Cow::into_owned),
            email: self.email.map(std::borrow::Cow::into_owned),
            email_lower,
            name: self.name.into_owned(),
            registered: self.registered,
            seconds_present: self.seconds_present,
            pct: self.pct,
            first_join: self.first_join,
            last_leave: self.last_leave.map(|t| t.wrapping_add(base)),
            rejoins: self.rejoins,
            late_minutes: self.late_minutes,
            early_leave_minutes: self.early_leave_minutes,
            outcome: self.outcome,
            intervals,
            digest: self.digest,
        })
    }
}

/// Positions `0..n` in the order `cmp` gives, where `text(i)` is the text `cmp` compares first
/// (`cmp` must order by it before anything else). Sorted by the text's first eight bytes as one
/// integer first, then only runs sharing those bytes by `cmp`: most comparisons are then of
/// integers side by side in memory instead of texts scattered over the heap (sorting 100,000
/// names took a fifth of a large session's recompute).
fn sort_by_text<'a>(
    n: usize,
    text: impl Fn(usize) -> &'a [u8],
    cmp: impl Fn(u32, u32) -> std::cmp::Ordering,
) -> Vec<u32> {
    let mut keyed: Vec<(u64, u32)> = (0..n)
        .map(|i| {
            let t = text(i);
            let mut head = [0u8; 8];
            let len = t.len().min(8);
            head[..len].copy_from_slice(&t[..len]);
            // Big-endian: integers order as the bytes do; a shorter text, padded with zeros,
            // comes first unless it is followed by zeros, and then `cmp` decides.
            (u64::from_be_bytes(head), i as u32)
        })
        .collect();
    keyed.sort_unstable();
    let mut out: Vec<u32> = keyed.iter().map(|&(_, i)| i).collect();
    let mut start = 0;
    while start < keyed.len() {
        let end = start + keyed[start..].partition_point(|&(h, _)| h == keyed[start].0);
        if end - start > 1 {
            out[start..end].sort_unstable_by(|&a, &b| cmp(a, b));
        }
        start = end;
    }
    out
}

/// The `emails` pattern that finds a lower-case e-mail (see [`Sheet::emails`]).
pub(super) fn email_line(email_lower: &str) -> String {
    format!("\n{email_lower}\n")
}

/// The orders a table can be sorted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Order {
    Name,
    Email,
    Time,
    Pct,
    FirstJoin,
    LastLeave,
    Rejoins,
    Late,
    Early,
    Outcome,
}

impl Order {
    /// A column key; unknown keys sort by name.
    fn of(column: &str) -> Self {
        match column {
            "email" => Order::Email,
            "time" => Order::Time,
            "pct" => Order::Pct,
            "firstJoin" => Order::FirstJoin,
            "lastLeave" => Order::LastLeave,
            "rejoins" => Order::Rejoins,
            "late" => Order::Late,
            "early" => Order::Early,
            "outcome" => Order::Outcome,
            _ => Order::Name,
        }
    }
}

/// A sheet read from the local copy, with the orders worked out for it so far.
#[derive(Debug)]
pub(super) struct Loaded {
    pub generation: i64,
    pub sheet: Sheet,
    /// Positions in each order asked for (ascending; ties by name), worked out on first use.
    orders: Mutex<HashMap<Order, Arc<[u32]>>>,
    /// What a search looks in, made on the first search (see [`Searchable`]).
    searchable: OnceLock<Searchable>,
    /// Each person's outcome and whether they registered and were present, side by side: a
    /// filter reads these instead of every person's whole row.
    kinds: Vec<Kind>,
}

#[derive(Debug, Clone, Copy)]
struct Kind {
    outcome: Outcome,
    unregistered_present: bool,
}

/// Every person's lower-case name and e-mail in one text (`name\temail\n` each), with where
/// each person's part starts: a search is one pass of a substring finder over it instead of
/// two searches per person.
#[derive(Debug)]
struct Searchable {
    text: String,
    starts: Vec<u32>,
}

impl Searchable {
    fn of(people: &[SheetPerson]) -> Self {
        let mut text = String::with_capacity(people.len() * 48);
        let mut starts = Vec::with_capacity(people.len());
        for p in people {
            starts.push(text.len() as u32);
            text.push_str(&p.name_lower);
            text.push('\t');
            text.push_str(p.email_lower.as_deref().unwrap_or(""));
            text.push('\n');
        }
        Self { text, starts }
    }

    /// Whether each person's name or e-mail holds `needle` (lower-case, without tabs or line
    /// breaks, so a match never spans two fields).
    fn matching(&self, needle: &str) -> Vec<bool> {
        let mut found = vec![false; self.starts.len()];
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let mut from = 0;
        while let Some(at) = finder.find(&self.text.as_bytes()[from..]) {
            let at = from + at;
            // The person whose part holds the match; the search goes on at the next person.
            let person = self.starts.partition_point(|&s| s as usize <= at) - 1;
            found[person] = true;
            match self.starts.get(person + 1) {
                Some(&next) => from = next as usize,
                None => break,
            }
        }
        found
    }
}

impl Loaded {
    pub fn new(generation: i64, sheet: Sheet) -> Self {
        let kinds = sheet
            .people
            .iter()
            .map(|p| Kind {
                outcome: p.outcome,
                unregistered_present: !p.registered && p.seconds_present > 0,
            })
            .collect();
        Self {
            kinds,
            generation,
            sheet,
            orders: Mutex::new(HashMap::new()),
            searchable: OnceLock::new(),
        }
    }

    pub fn people(&self) -> &[SheetPerson] {
        &self.sheet.people
    }

    /// Positions in ascending `order`, ties in name order.
    fn order(&self, order: Order) -> Arc<[u32]> {
        let mut orders = self.orders.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = orders.get(&order) {
            return found.clone();
        }
        let people = &self.sheet.people;
        let positions = 0..people.len() as u32;
        // Each numeric order sorts (value, position) pairs: the position breaks ties in name
        // order and makes the sort's result the same whatever algorithm produced it.
        fn by<K: Ord + Copy>(
            people: &[SheetPerson],
            positions: std::ops::Range<u32>,
            key: impl Fn(&SheetPerson) -> K,
        ) -> Vec<u32> {
            let mut keyed: Vec<(K, u32)> =
                positions.map(|i| (key(&people[i as usize]), i)).collect();
            keyed.sort_unstable();
            keyed.into_iter().map(|(_, i)| i).collect()
        }
        let sorted: Vec<u32> = match order {
            Order::Name => positions.collect(),
            Order::Email => self.sheet.by_email.clone(),
            Order::Time => by(people, positions, |p| p.seconds_present),
            // Percentages are never NaN (a share of a length of at least a second); their
            // bits order the same as their values for the non-negative numbers they are.
            Order::Pct => by(people, positions, |p| p.pct.max(0.0).to_bits()),
            Order::FirstJoin => by(people, positions, |p| p.first_join),
            Order::LastLeave => by(people, positions, |p| p.last_leave),
            Order::Rejoins => by(people, positions, |p| p.rejoins),
            Order::Late => by(people, positions, |p| p.late_minutes),
            Order::Early => by(people, positions, |p| p.early_leave_minutes),
            Order::Outcome => by(people, positions, |p| p.outcome),
        };
        let sorted: Arc<[u32]> = sorted.into();
        orders.insert(order, sorted.clone());
        sorted
    }

    /// The positions of one page's people, and how many match in all.
    pub fn select(&self, q: &PageQuery) -> (Vec<usize>, usize) {
        let people = &self.sheet.people;
        let search: String = q
            .search
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| *c != '\t' && *c != '\n')
            .collect();
        let filter = q.filter.as_deref().filter(|f| !f.is_empty());
        let (offset, limit) = (q.offset, q.limit.max(1));
        let order = self.order(Order::of(&q.sort));
        let positions = order.iter().map(|&i| i as usize);
        let positions: Box<dyn Iterator<Item = usize>> = if q.descending {
            Box::new(positions.rev())
        } else {
            Box::new(positions)
        };
        if filter.is_none() && search.is_empty() {
            return (positions.skip(offset).take(limit).collect(), people.len());
        }
        let found = (!search.is_empty()).then(|| {
            self.searchable
                .get_or_init(|| Searchable::of(people))
                .matching(&search)
        });
        let wanted = |i: usize| {
            let k = self.kinds[i];
            let kept = match filter {
                Some("unregistered") => k.unregistered_present,
                Some("attended") => k.outcome == Outcome::Attended,
                Some("partial") => k.outcome == Outcome::Partial,
                Some("noShow") => k.outcome == Outcome::NoShow,
                _ => true,
            };
            kept && found.as_ref().is_none_or(|f| f[i])
        };
        let mut total = 0;
        let mut page = Vec::with_capacity(limit.min(people.len()));
        for i in positions {
            if wanted(i) {
                if total >= offset && page.len() < limit {
                    page.push(i);
                }
                total += 1;
            }
        }
        (page, total)
    }
}

/// The sheets read last, so paging through a table decodes its sheet once. Holds a few: a
/// sheet of 100,000 people is some 30 MB in memory.
#[derive(Debug, Default)]
pub(super) struct Sheets {
    recent: Mutex<Vec<(i64, Arc<Loaded>)>>,
}

const KEPT_LOADED: usize = 3;

impl Sheets {
    /// The sheet of webinar number `w` as last committed (`None` when it has none), from memory
    /// when the one there is still the newest.
    pub fn get(&self, conn: &Connection, w: i64) -> Result<Option<Arc<Loaded>>, StoreError> {
        let generation: Option<i64> = conn
            .prepare_cached("SELECT generation FROM attendance_sheets WHERE w = ?1")?
            .query_row([w], |r| r.get(0))
            .optional()?;
        let Some(generation) = generation else {
            return Ok(None);
        };
        if let Some(found) = self.find(w, generation) {
            return Ok(Some(found));
        }
        // Read with its generation in one statement: a write in between is read whole, as the
        // generation it is.
        let (generation, bytes): (i64, Vec<u8>) = conn
            .prepare_cached("SELECT generation, people FROM attendance_sheets WHERE w = ?1")?
            .query_row([w], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let loaded = Arc::new(Loaded::new(generation, Sheet::decode(&bytes)?));
        self.put(w, loaded.clone());
        Ok(Some(loaded))
    }

    fn find(&self, w: i64, generation: i64) -> Option<Arc<Loaded>> {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let at = recent
            .iter()
            .position(|(n, l)| *n == w && l.generation == generation)?;
        // Most recently used last.
        let entry = recent.remove(at);
        let found = entry.1.clone();
        recent.push(entry);
        Some(found)
    }

    /// Keeps a sheet just read or written, in place of an older one of the same webinar.
    pub fn put(&self, w: i64, loaded: Arc<Loaded>) {
        let left: Vec<(i64, Arc<Loaded>)> = {
            let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
            let mut left: Vec<_> = recent.extract_if(.., |(n, _)| *n == w).collect();
            recent.push((w, loaded));
            if recent.len() > KEPT_LOADED {
                left.push(recent.remove(0));
            }
            left
        };
        // Freed here, after the lock: freeing a large sheet's strings takes milliseconds (a
        // 100,000-person sheet is some 30 MB in a few hundred thousand allocations), and
        // readers of other sheets should not wait for it. (Freed on the thread that will
        // allocate next, not handed to another: the allocator frees its own thread's blocks
        // cheaper, and a hand-off measured no faster.)
        drop(left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, email: Option<&str>, seconds: i64, outcome: Outcome) -> SheetPerson {
        SheetPerson {
            key: format!("email:{name}"),
            registration_id: None,
            email: email.map(str::to_string),
            email_lower: email.map(str::to_lowercase),
            name: name.into(),
            name_lower: name.to_lowercase(),
            registered: true,
            seconds_present: seconds,
            pct: seconds as f64 / 36.0,
            first_join: (seconds > 0).then_some(1_000),
            last_leave: (seconds > 0).then_some(1_000 + seconds * 1000),
            rejoins: 0,
            late_minutes: 0,
            early_leave_minutes: 0,
            outcome,
            intervals: vec![],
            digest: seconds,
        }
    }

    fn query(search: &str, filter: Option<&str>, sort: &str, descending: bool) -> PageQuery {
        PageQuery {
            search: search.into(),
            filter: filter.map(str::to_string),
            sort: sort.into(),
            descending,
            offset: 0,
            limit: 10,
        }
    }

    fn names<'a>(l: &'a Loaded, q: &PageQuery) -> (Vec<&'a str>, usize) {
        let (page, total) = l.select(q);
        (
            page.iter().map(|&i| l.people()[i].name.as_str()).collect(),
            total,
        )
    }

    #[test]
    fn pages_sort_filter_and_search_in_memory_and_survive_encoding() {
        let sheet = Sheet::new(vec![
            person("Cy", Some("cy@B.example"), 3600, Outcome::Attended),
            person("ada", Some("zz@c.example"), 600, Outcome::Partial),
            person("Bo", None, 0, Outcome::NoShow),
            person("Di", Some("di@a.example"), 600, Outcome::Partial),
        ]);
        let l = Loaded::new(1, Sheet::decode(&sheet.encode()).unwrap());
        assert_eq!(
            names(&l, &query("", None, "name", false)),
            (vec!["ada", "Bo", "Cy", "Di"], 4)
        );
        // People without an e-mail first (as SQL sorts NULL), then by address.
        assert_eq!(
            names(&l, &query("", None, "email", false)).0,
            ["Bo", "Cy", "Di", "ada"]
        );
        // Equal times keep name order ascending and reverse it descending.
        assert_eq!(
            names(&l, &query("", None, "time", true)).0,
            ["Cy", "Di", "ada", "Bo"]
        );
        assert_eq!(
            names(&l, &query("", Some("partial"), "time", false)),
            (vec!["ada", "Di"], 2)
        );
        assert_eq!(
            names(&l, &query(" B.EX ", None, "name", false)),
            (vec!["Cy"], 1),
            "search is case-insensitive, trimmed, on name or e-mail"
        );
        assert_eq!(names(&l, &query("qq", None, "name", false)), (vec![], 0));
        // The last person's e-mail, and a name and an e-mail at once.
        assert_eq!(
            names(&l, &query("a.ex", None, "name", false)),
            (vec!["Di"], 1)
        );
        assert_eq!(
            names(&l, &query("d", None, "name", true)),
            (vec!["Di", "ada"], 2)
        );
        assert_eq!(
            names(&l, &query("b\to", None, "name", false)),
            (vec!["Bo"], 1),
            "a tab in the search is dropped, never matched across two fields"
        );
        let mut second = query("", None, "outcome", false);
        (second.offset, second.limit) = (1, 2);
        assert_eq!(names(&l, &second), (vec!["ada", "Di"], 4));
        assert_eq!(
            sheet.emails(),
            "\nzz@c.example\n\ncy@b.example\ndi@a.example\n"
        );
        assert!(sheet.emails().contains(&email_line("cy@b.example")));
        assert!(!sheet.emails().contains(&email_line("y@b.example")));
    }

    #[test]
    fn a_large_sheet_is_in_name_order_with_its_e_mail_order_as_a_plain_sort_gives() {
        // Both orders are worked out side by side from this size on; many ties in both (the
        // same few names, shared addresses, people without one), keys unique.
        let n = crate::attendance::PARALLEL_FROM + 300;
        let people: Vec<SheetPerson> = (0..n)
            .map(|i| {
                let mut p = person(
                    ["Ann", "bo", "Cy", "ann"][i % 4],
                    [None, Some("Shared@x.example"), Some("a@x.example")][i % 3],
                    i as i64,
                    Outcome::Partial,
                );
                p.key = format!("key{:05}", (i * 7919) % n);
                if i % 5 == 0 {
                    p.email = Some(format!("p{}@x.example", n - i));
                    p.email_lower = p.email.clone();
                }
                p
            })
            .collect();
        let mut by_name = people.clone();
        by_name.sort_by(|a, b| (&a.name_lower, &a.key).cmp(&(&b.name_lower, &b.key)));
        let mut by_email: Vec<u32> = (0..n as u32).collect();
        by_email.sort_by(|&a, &b| {
            (&by_name[a as usize].email_lower, a).cmp(&(&by_name[b as usize].email_lower, b))
        });
        let sheet = Sheet::new(people);
        assert!(sheet.people == by_name, "people in name order, then key");
        assert_eq!(sheet.by_email, by_email, "e-mail order, ties in name order");
    }

    #[test]
    fn sorting_by_text_orders_as_the_whole_texts_do() {
        let texts = [
            "ab",
            "ab\0",
            "abcdefgh2",
            "abcdefgh10",
            "",
            "abcdefgh",
            "z",
            "abcdefgh",
            "Ä",
            "a",
        ];
        let sorted = sort_by_text(
            texts.len(),
            |i| texts[i].as_bytes(),
            |a, b| texts[a as usize].cmp(texts[b as usize]).then(a.cmp(&b)),
        );
        let mut expected: Vec<u32> = (0..texts.len() as u32).collect();
        expected.sort_by(|&a, &b| texts[a as usize].cmp(texts[b as usize]).then(a.cmp(&b)));
        assert_eq!(
            sorted,
            expected,
            "{:?}",
            sorted
                .iter()
                .map(|&i| texts[i as usize])
                .collect::<Vec<_>>()
        );
    }

    proptest::proptest! {
        #[test]
        fn sorting_by_text_equals_a_plain_sort(
            texts in proptest::collection::vec("[a\\x00Äb]{0,10}", 0..60)
        ) {
            let sorted = sort_by_text(
                texts.len(),
                |i| texts[i].as_bytes(),
                |a, b| texts[a as usize].cmp(&texts[b as usize]).then(a.cmp(&b)),
            );
            let mut expected: Vec<u32> = (0..texts.len() as u32).collect();
            expected.sort_by(|&a, &b| texts[a as usize].cmp(&texts[b as usize]).then(a.cmp(&b)));
            proptest::prop_assert_eq!(sorted, expected);
        }
    }

    /// Any person, including rows whose key, lower-case name or e-mail are not what their
    /// other fields make (as a sheet of an earlier version could hold), and times anywhere.
    fn any_person() -> impl proptest::strategy::Strategy<Value = SheetPerson> {
        use proptest::prelude::*;
        let text = "[ aZΣσςİi@.\\-]{0,8}";
        // Texts of ASCII only, with spaces around, as often as not.
        let text = move || proptest::prop_oneof![text, "[ aZ@.]{0,6}"];
        let times = (
            any::<Option<i64>>(),
            any::<Option<i64>>(),
            proptest::collection::vec(any::<(i64, i64)>(), 0..4),
        );
        (
            (prop::option::of(text()), prop::option::of(text()), text()),
            (0..5u8, 0..4u8, prop::option::of(text()), text()),
            times,
            (any::<i64>(), any::<u32>(), any::<i64>(), any::<f64>()),
        )
            .prop_map(
                |(
                    (registration_id, email, name),
                    (key_kind, lowering, other_lower, other_key),
                    (first_join, last_leave, intervals),
                    (seconds, rejoins, digest, pct),
                )| {
                    // As a row is made; another text; lowered without the trim; not lowered.
                    let lowered = |text: &str, made: fn(&str) -> String| match lowering {
                        0 => made(text),
                        1 => other_lower.clone().unwrap_or_default(),
                        2 => text.to_lowercase(),
                        _ => text.to_string(),
                    };
                    let email_lower = match (&email, lowering) {
                        (None, 0) => None,
                        (None, _) => other_lower.clone(),
                        (Some(e), _) => Some(lowered(e, comparable_email)),
                    };
                    let key = match key_kind {
                        0 => format!(
                            "registration:{}",
                            registration_id.clone().unwrap_or_default()
                        ),
                        1 => format!("email:{}", email_lower.clone().unwrap_or_default()),
                        2 => format!("anonymous:{other_key}"),
                        3 => format!("email:{other_key}"),
                        _ => other_key.clone(),
                    };
                    SheetPerson {
                        key,
                        registration_id,
                        email,
                        email_lower,
                        name_lower: lowered(&name, lower_name),
                        name,
                        registered: key_kind == 0,
                        seconds_present: seconds,
                        pct,
                        first_join,
                        last_leave,
                        rejoins,
                        late_minutes: seconds.wrapping_neg(),
                        early_leave_minutes: digest.wrapping_mul(3),
                        outcome: [Outcome::Attended, Outcome::Partial, Outcome::NoShow]
                            [rejoins as usize % 3],
                        intervals,
                        digest,
                    }
                },
            )
    }

    proptest::proptest! {
        #[test]
        fn a_sheet_reads_back_as_it_was_written(
            people in proptest::collection::vec(any_person(), 0..20)
        ) {
            let by_email = (0..people.len() as u32).rev().collect();
            let sheet = Sheet { people, by_email };
            let back = Sheet::decode(&sheet.encode()).unwrap();
            // NaN is not equal to itself: percentages are compared by their bits.
            let bits = |s: &Sheet| s.people.iter().map(|p| p.pct.to_bits()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(bits(&back), bits(&sheet));
            let plain = |mut s: Sheet| {
                s.people.iter_mut().for_each(|p| p.pct = 0.0);
                s
            };
            proptest::prop_assert_eq!(plain(back), plain(sheet));
        }
    }

    /// What a row's other fields make is not kept: a registered person's key, an attendee's
    /// key, lower-case names and e-mails; times are kept as small differences.
    #[test]
    fn what_a_row_can_work_out_is_not_kept() {
        let (start, leave) = (1_767_348_000_000_i64, 1_767_350_700_000_i64);
        let mut ada = person(
            "Ada Lovelace",
            Some("Ada.Lovelace@Example.com"),
            2700,
            Outcome::Partial,
        );
        ada.registration_id = Some("4c0f2a5e-reg".into());
        ada.key = "registration:4c0f2a5e-reg".into();
        ada.first_join = Some(start);
        ada.last_leave = Some(leave);
        ada.intervals = vec![(start, start + 600_000), (start + 900_000, leave)];
        let mut bob = person("Bob Byte", Some("bob@example.com"), 60, Outcome::NoShow);
        bob.key = "email:bob@example.com".into();
        let sheet = Sheet {
            people: vec![ada.clone(), bob.clone()],
            by_email: vec![0, 1],
        };
        let bytes = sheet.encode();
        let holds = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
        for kept in [
            "Ada Lovelace",
            "Ada.Lovelace@Example.com",
            "4c0f2a5e-reg",
            "bob@example.com",
            "Bob Byte",
        ] {
            assert!(holds(kept), "{kept:?} is kept");
        }
        for derived in [
            "registration:",
            "email:",
            "ada lovelace",
            "ada.lovelace@example.com",
            "bob byte",
        ] {
            assert!(
                !holds(derived),
                "{derived:?} is worked out on load, not kept"
            );
        }
        let texts: usize = [&ada, &bob]
            .iter()
            .map(|p| {
                p.name.len()
                    + p.email.as_ref().map_or(0, String::len)
                    + p.registration_id.as_ref().map_or(0, String::len)
            })
            .sum();
        // Each row's texts once, and under 48 bytes of lengths, flags and numbers: the
        // percentage 8, the first join 7, the rest differences of a few bytes each (times
        // kept as they are would take 7 bytes each: 35 for Ada's alone).
        assert!(
            bytes.len() <= texts + 2 * 48,
            "{} bytes for {texts} bytes of text",
            bytes.len()
        );
        assert_eq!(Sheet::decode(&bytes).unwrap(), sheet);
    }

    #[test]
    fn a_damaged_sheet_is_reported_not_read() {
        let err = Sheet::decode(&[0xff, 0xff, 0xff]).unwrap_err();
        assert!(err.to_string().contains("attendance sheet"), "{err}");
    }
}
