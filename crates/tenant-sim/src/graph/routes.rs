//! The simulated virtual-event webinar API: every route the app uses, with the documented
//! roles (organizer, co-organizer, anyone), status rules (draft → published → canceled, cancel
//! is permanent, no DELETE) and bodies. Where the reference marks a behaviour UNCONFIRMED, the
//! choice made here is listed in the README's tenant-sim section.

// A refusal is an early return of the answer itself; it is built once per request, so its size
// does not matter.
#![allow(clippy::result_large_err)]

use axum::http::{Method, StatusCode};
use axum::response::Response;
use chrono::NaiveDateTime;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use super::{Caller, Ctx, PageWindow, Req, page};
use crate::Sim;
use crate::directory::{ACCOUNTS, COMPANION_CLIENT_ID};
use crate::people::{Answer, Question, QuestionKind, Registrant};
use crate::webinars::{self, Webinar};

const WEBINAR_FIELDS_CREATE: &[&str] = &[
    "displayName",
    "description",
    "startDateTime",
    "endDateTime",
    "audience",
    "coOrganizers",
    "settings",
];
/// The fields Graph documents as updatable.
const WEBINAR_FIELDS_PATCH: &[&str] = &[
    "displayName",
    "description",
    "startDateTime",
    "endDateTime",
    "coOrganizers",
];

type Outcome = Result<Response, Response>;

pub(crate) fn route(sim: &Sim, ctx: &Ctx, caller: &Caller, req: &Req) -> Response {
    match dispatch(sim, ctx, caller, req) {
        Ok(r) | Err(r) => r,
    }
}

fn context(req: &Req, what: &str) -> String {
    format!(
        "https://graph.microsoft.com/{}/$metadata#{what}",
        req.version
    )
}

fn dispatch(sim: &Sim, ctx: &Ctx, caller: &Caller, req: &Req) -> Outcome {
    let s = req.segments.as_slice();
    let m = req.method;
    if let (&Method::GET, ["me", "licenseDetails"]) = (m, s) {
        return Ok(licence_details(sim, ctx, caller, req));
    }
    let Some(rest) = s.strip_prefix(&["solutions", "virtualEvents", "webinars"]) else {
        return Err(ctx.error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!(
                "Resource not found for the segment '{}'.",
                s.first().unwrap_or(&"")
            ),
        ));
    };
    match (m, rest) {
        (&Method::GET, []) => {
            // Application-only listing: a delegated caller sees nothing (documented behaviour).
            Ok(ctx.json(
                StatusCode::OK,
                json!({"@odata.context": context(req, "solutions/virtualEvents/webinars"), "value": []}),
            ))
        }
        (&Method::POST, []) => create(sim, ctx, caller, req),
        (&Method::GET, [f]) if f.starts_with("getByUserRole(") => by_role(sim, ctx, caller, req, f),
        (&Method::GET, [id]) => {
            let body = read(sim, ctx, caller, id, |w| {
                let mut b = w.to_json(&caller.user, COMPANION_CLIENT_ID);
                b["@odata.context"] =
                    json!(context(req, "solutions/virtualEvents/webinars/$entity"));
                b
            })?;
            Ok(ctx.json(StatusCode::OK, body))
        }
        (&Method::PATCH, [id]) => update(sim, ctx, caller, req, id),
        (&Method::POST, [id, "publish"]) => lifecycle(sim, ctx, caller, id, "publish"),
        (&Method::POST, [id, "cancel"]) => lifecycle(sim, ctx, caller, id, "cancel"),
        (&Method::POST, [id, "setExternalEventInformation"]) => {
            set_external(sim, ctx, caller, req, id)
        }
        (&Method::GET, [id, "sessions"]) => {
            let session = read(sim, ctx, caller, id, |w| w.session_json())?;
            Ok(page(
                sim,
                ctx,
                vec![session],
                &req.query,
                &format!(
                    "{}/solutions/virtualEvents/webinars/{id}/sessions",
                    req.base
                ),
                &context(req, "solutions/virtualEvents/webinars('id')/sessions"),
            ))
        }
        (&Method::GET, [id, "sessions", sid]) => {
            let session = read(sim, ctx, caller, id, |w| {
                (w.session_id == *sid).then(|| w.session_full_json())
            })?;
            session
                .map(|s| ctx.json(StatusCode::OK, s))
                .ok_or_else(|| not_found(ctx, "Session", sid))
        }
        (&Method::GET, [id, "sessions", sid, "attendanceReports"]) => {
            let now = sim.now();
            let reports = privileged(sim, ctx, caller, id, |w| {
                check_session(ctx, w, sid)?;
                Ok(w.visible_reports(now)
                    .into_iter()
                    .map(|r| webinars::report_json(r, false))
                    .collect::<Vec<_>>())
            })?;
            Ok(page(
                sim,
                ctx,
                reports,
                &req.query,
                &format!(
                    "{}/solutions/virtualEvents/webinars/{id}/sessions/{sid}/attendanceReports",
                    req.base
                ),
                &context(req, "Collection(microsoft.graph.meetingAttendanceReport)"),
            ))
        }
        (&Method::GET, [id, "sessions", sid, "attendanceReports", rid]) => {
            let expand = req
                .query
                .get("$expand")
                .is_some_and(|e| e.split(',').any(|x| x.trim() == "attendanceRecords"));
            let now = sim.now();
            let body = privileged(sim, ctx, caller, id, |w| {
                check_session(ctx, w, sid)?;
                w.visible_reports(now)
                    .into_iter()
                    .find(|r| r.id == *rid)
                    .map(|r| webinars::report_json(r, expand))
                    .ok_or_else(|| not_found(ctx, "Attendance report", rid))
            })?;
            Ok(ctx.json(StatusCode::OK, body))
        }
        (
            &Method::GET,
            [
                id,
                "sessions",
                sid,
                "attendanceReports",
                rid,
                "attendanceRecords",
            ],
        ) => {
            let now = sim.now();
            let window = PageWindow::of(sim, ctx, &req.query)?;
            // The page is written while the webinar is borrowed: its items borrow from it.
            privileged(sim, ctx, caller, id, |w| {
                check_session(ctx, w, sid)?;
                let report = w
                    .visible_reports(now)
                    .into_iter()
                    .find(|r| r.id == *rid)
                    .ok_or_else(|| not_found(ctx, "Attendance report", rid))?;
                Ok(window.respond(
                    ctx,
                    &report.records,
                    webinars::RecordJson::of,
                    &req.query,
                    &format!(
                        "{}/solutions/virtualEvents/webinars/{id}/sessions/{sid}/attendanceReports/{rid}/attendanceRecords",
                        req.base
                    ),
                    &context(req, "Collection(microsoft.graph.attendanceRecord)"),
                ))
            })
        }
        (&Method::GET, [id, "registrationConfiguration"]) => {
            let body = read(sim, ctx, caller, id, |w| {
                w.registration_configuration_json()
            })?;
            Ok(ctx.json(StatusCode::OK, body))
        }
        (&Method::PATCH, [id, "registrationConfiguration"]) => {
            update_registration_configuration(sim, ctx, caller, req, id)
        }
        (&Method::GET, [id, "registrationConfiguration", "questions"]) => {
            let questions = read(sim, ctx, caller, id, |w| {
                w.questions
                    .iter()
                    .map(webinars::question_json)
                    .collect::<Vec<_>>()
            })?;
            Ok(page(
                sim,
                ctx,
                questions,
                &req.query,
                &format!(
                    "{}/solutions/virtualEvents/webinars/{id}/registrationConfiguration/questions",
                    req.base
                ),
                &context(
                    req,
                    "Collection(microsoft.graph.virtualEventRegistrationQuestionBase)",
                ),
            ))
        }
        (&Method::POST, [id, "registrationConfiguration", "questions"]) => {
            create_question(sim, ctx, caller, req, id)
        }
        (&Method::DELETE, [id, "registrationConfiguration", "questions", qid]) => sim
            .with_webinars_mut(|ws| {
                let w = find_mut(ws, ctx, caller, id)?;
                require_privileged(ctx, w, caller)?;
                let before = w.questions.len();
                w.questions.retain(|q| q.id != *qid);
                if w.questions.len() == before {
                    return Err(not_found(ctx, "Question", qid));
                }
                Ok(ctx.no_content())
            }),
        (&Method::GET, [id, "registrations"]) => {
            let switches = sim.graph_switches();
            let allowed = if req.version == "v1.0" {
                switches.v1_registrations_delegated
            } else {
                switches.beta_registrations_delegated
            };
            if !allowed {
                return Err(ctx.error(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "Listing registrations is not supported with delegated permissions on this API version.",
                ));
            }
            let window = PageWindow::of(sim, ctx, &req.query)?;
            // The page is written while the webinar is borrowed: its items borrow from it.
            privileged(sim, ctx, caller, id, |w| {
                Ok(window.respond(
                    ctx,
                    &w.registrants,
                    webinars::RegistrationJson::of,
                    &req.query,
                    &format!(
                        "{}/solutions/virtualEvents/webinars/{id}/registrations",
                        req.base
                    ),
                    &context(req, "Collection(microsoft.graph.virtualEventRegistration)"),
                ))
            })
        }
        (&Method::POST, [id, "registrations"]) => register(sim, ctx, caller, req, id),
        (&Method::GET, [id, key]) if key.starts_with("registrations(") => {
            let (field, value) = alternate_key(key)
                .ok_or_else(|| bad_request(ctx, &format!("'{key}' is not a valid key segment.")))?;
            let body = privileged(sim, ctx, caller, id, |w| {
                w.registrants
                    .iter()
                    .find(|r| match field {
                        "email" => r.email.to_lowercase() == value.to_lowercase(),
                        _ => r.user_id.as_deref() == Some(value.as_str()),
                    })
                    .map(webinars::registration_json)
                    .ok_or_else(|| not_found(ctx, "Registration", &value))
            })?;
            Ok(ctx.json(StatusCode::OK, body))
        }
        (&Method::GET, [id, "registrations", rid]) => {
            let body = registrant_view(sim, ctx, caller, id, rid, |_, r| {
                webinars::registration_json(r)
            })?;
            Ok(ctx.json(StatusCode::OK, body))
        }
        (&Method::GET, [id, "registrations", rid, "sessions"]) => {
            let session = registrant_view(sim, ctx, caller, id, rid, |w, r| {
                w.registrant_session_json(r)
            })?;
            Ok(page(
                sim,
                ctx,
                vec![session],
                &req.query,
                &format!(
                    "{}/solutions/virtualEvents/webinars/{id}/registrations/{rid}/sessions",
                    req.base
                ),
                &context(req, "Collection(microsoft.graph.virtualEventSession)"),
            ))
        }
        (&Method::POST, [id, "registrations", rid, "cancel"]) => {
            let now = sim.now();
            sim.with_webinars_mut(|ws| {
                let w = find_mut(ws, ctx, caller, id)?;
                let privileged = w.is_privileged(&caller.user);
                let r = w
                    .registrants
                    .iter_mut()
                    .find(|r| r.id == *rid)
                    .ok_or_else(|| not_found(ctx, "Registration", rid))?;
                if !privileged && r.user_id.as_deref() != Some(caller.user.as_str()) {
                    return Err(forbidden(
                        ctx,
                        "Only the registrant or the organizers can cancel a registration.",
                    ));
                }
                r.status = "canceled".into();
                r.canceled_at = Some(now);
                Ok(ctx.no_content())
            })
        }
        (_, [..]) => Err(ctx.error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            &format!("The {m} method is not supported on this resource."),
        )),
    }
}

// ----- helpers ---------------------------------------------------------------------------------

fn bad_request(ctx: &Ctx, message: &str) -> Response {
    ctx.error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

fn forbidden(ctx: &Ctx, message: &str) -> Response {
    ctx.error(StatusCode::FORBIDDEN, "Forbidden", message)
}

fn not_found(ctx: &Ctx, what: &str, id: &str) -> Response {
    ctx.error(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("{what} '{id}' was not found."),
    )
}

/// Drafts are visible to their organizer only.
fn visible(w: &Webinar, user: &str) -> bool {
    w.status != "draft" || w.organizer == user
}

fn read<T>(
    sim: &Sim,
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    f: impl FnOnce(&Webinar) -> T,
) -> Result<T, Response> {
    sim.with_webinars(|ws| {
        ws.iter()
            .find(|w| w.id == id && visible(w, &caller.user))
            .map(f)
            .ok_or_else(|| not_found(ctx, "Webinar", id))
    })
}

/// Organizer or co-organizer only (registrations, attendance).
fn privileged<T>(
    sim: &Sim,
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    f: impl FnOnce(&Webinar) -> Result<T, Response>,
) -> Result<T, Response> {
    sim.with_webinars(|ws| {
        let w = ws
            .iter()
            .find(|w| w.id == id && visible(w, &caller.user))
            .ok_or_else(|| not_found(ctx, "Webinar", id))?;
        require_privileged(ctx, w, caller)?;
        f(w)
    })
}

fn require_privileged(ctx: &Ctx, w: &Webinar, caller: &Caller) -> Result<(), Response> {
    if w.is_privileged(&caller.user) {
        Ok(())
    } else {
        Err(forbidden(
            ctx,
            "Only the webinar's organizer or co-organizers can do this.",
        ))
    }
}

fn find_mut<'a>(
    ws: &'a mut [Webinar],
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
) -> Result<&'a mut Webinar, Response> {
    ws.iter_mut()
        .find(|w| w.id == id && visible(w, &caller.user))
        .ok_or_else(|| not_found(ctx, "Webinar", id))
}

fn check_session(ctx: &Ctx, w: &Webinar, sid: &str) -> Result<(), Response> {
    if w.session_id == sid {
        Ok(())
    } else {
        Err(not_found(ctx, "Session", sid))
    }
}

/// A registration seen by the organizers, or by the registrant themself.
fn registrant_view<T>(
    sim: &Sim,
    ctx: &Ctx,
    caller: &Caller,
    id: &str,
    rid: &str,
    f: impl FnOnce(&Webinar, &Registrant) -> T,
) -> Result<T, Response> {
    sim.with_webinars(|ws| {
        let w = ws
            .iter()
            .find(|w| w.id == id && visible(w, &caller.user))
            .ok_or_else(|| not_found(ctx, "Webinar", id))?;
        let r = w
            .registrant(rid)
            .ok_or_else(|| not_found(ctx, "Registration", rid))?;
        if !w.is_privileged(&caller.user) && r.user_id.as_deref() != Some(caller.user.as_str()) {
            return Err(forbidden(
                ctx,
                "Only the registrant or the organizers can read a registration.",
            ));
        }
        Ok(f(w, r))
    })
}

/// `registrations(email='a@b')` → ("email", "a@b"); quotes inside are doubled in OData.
fn alternate_key(segment: &str) -> Option<(&'static str, String)> {
    let inner = segment.strip_prefix("registrations(")?.strip_suffix(')')?;
    let (field, value) = inner.split_once('=')?;
    let field = match field.trim() {
        "email" => "email",
        "userId" => "userId",
        _ => return None,
    };
    let value = value.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    Some((field, value.replace("''", "'")))
}

fn body_object(ctx: &Ctx, req: &Req) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(req.body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(bad_request(ctx, "The request body must be a JSON object.")),
        Err(e) => Err(bad_request(
            ctx,
            &format!("The request body is not valid JSON: {e}."),
        )),
    }
}

fn required<'a>(ctx: &Ctx, body: &'a Map<String, Value>, key: &str) -> Result<&'a Value, Response> {
    body.get(key)
        .ok_or_else(|| bad_request(ctx, &format!("{key} is required.")))
}

fn only_fields(ctx: &Ctx, body: &Map<String, Value>, allowed: &[&str]) -> Result<(), Response> {
    for key in body.keys() {
        if !key.starts_with('@') && !allowed.contains(&key.as_str()) {
            return Err(bad_request(
                ctx,
                &format!("Property '{key}' cannot be set on this request."),
            ));
        }
    }
    Ok(())
}

/// Windows time zone names Graph accepts (and "UTC").
fn valid_zone(name: &str) -> bool {
    name == "UTC" || name.parse::<windows_timezones::WindowsTimezone>().is_ok()
}

fn date_time_zone(ctx: &Ctx, field: &str, v: &Value) -> Result<(NaiveDateTime, String), Response> {
    let text = v["dateTime"]
        .as_str()
        .ok_or_else(|| bad_request(ctx, &format!("{field}.dateTime is required.")))?;
    let zone = v["timeZone"]
        .as_str()
        .ok_or_else(|| bad_request(ctx, &format!("{field}.timeZone is required.")))?;
    if !valid_zone(zone) {
        return Err(bad_request(
            ctx,
            &format!("'{zone}' is not a supported time zone; use a Windows time zone name."),
        ));
    }
    let naive = NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f")
        .map_err(|_| {
        bad_request(
            ctx,
            &format!("{field}.dateTime '{text}' is not a date-time."),
        )
    })?;
    Ok((naive, zone.to_string()))
}

fn description(ctx: &Ctx, v: &Value) -> Result<String, Response> {
    match v {
        Value::Object(_) => {
            let ct = v["contentType"].as_str().unwrap_or("text");
            if !matches!(ct, "text" | "html") {
                return Err(bad_request(
                    ctx,
                    "description.contentType must be text or html.",
                ));
            }
            Ok(v["content"].as_str().unwrap_or("").to_string())
        }
        _ => Err(bad_request(ctx, "description must be an itemBody.")),
    }
}

fn co_organizers(ctx: &Ctx, v: &Value, organizer: &str) -> Result<Vec<String>, Response> {
    let list = v
        .as_array()
        .ok_or_else(|| bad_request(ctx, "coOrganizers must be an array."))?;
    let mut ids = Vec::new();
    for c in list {
        let id = c["id"]
            .as_str()
            .ok_or_else(|| bad_request(ctx, "Each co-organizer needs an id."))?;
        if id == organizer {
            return Err(bad_request(
                ctx,
                "The organizer cannot also be a co-organizer.",
            ));
        }
        if !ids.iter().any(|x: &String| x == id) {
            ids.push(id.to_string());
        }
    }
    Ok(ids)
}

fn display_name(ctx: &Ctx, v: &Value) -> Result<String, Response> {
    let name = v
        .as_str()
        .ok_or_else(|| bad_request(ctx, "displayName must be a string."))?;
    if name.trim().is_empty() || name.chars().count() > 255 {
        return Err(bad_request(
            ctx,
            "displayName must have 1 to 255 characters.",
        ));
    }
    Ok(name.to_string())
}

// ----- webinars --------------------------------------------------------------------------------

fn by_role(sim: &Sim, ctx: &Ctx, caller: &Caller, req: &Req, function: &str) -> Outcome {
    let Some(role) = function
        .strip_prefix("getByUserRole(role='")
        .and_then(|r| r.strip_suffix("')"))
    else {
        return Err(bad_request(
            ctx,
            "getByUserRole expects role='organizer' or role='coOrganizer'.",
        ));
    };
    if !matches!(role, "organizer" | "coOrganizer") {
        return Err(bad_request(
            ctx,
            &format!("'{role}' is not a valid role; use organizer or coOrganizer."),
        ));
    }
    let all: Vec<Value> = sim.with_webinars(|ws| {
        let mut mine: Vec<_> = ws
            .iter()
            .filter(|w| w.has_role(&caller.user, role) && visible(w, &caller.user))
            .collect();
        mine.sort_by(|a, b| a.start.cmp(&b.start).then(a.id.cmp(&b.id)));
        mine.iter()
            .map(|w| w.to_json(&caller.user, COMPANION_CLIENT_ID))
            .collect()
    });
    Ok(page(
        sim,
        ctx,
        all,
        &req.query,
        &format!(
            "{}/solutions/virtualEvents/webinars/getByUserRole(role='{role}')",
            req.base
        ),
        &context(req, "Collection(microsoft.graph.virtualEventWebinar)"),
    ))
}

fn create(sim: &Sim, ctx: &Ctx, caller: &Caller, req: &Req) -> Outcome {
    let body = body_object(ctx, req)?;
    only_fields(ctx, &body, WEBINAR_FIELDS_CREATE)?;
    let name = display_name(ctx, required(ctx, &body, "displayName")?)?;
    let (start, zone) =
        date_time_zone(ctx, "startDateTime", required(ctx, &body, "startDateTime")?)?;
    let (end, end_zone) = date_time_zone(ctx, "endDateTime", required(ctx, &body, "endDateTime")?)?;
    let (start_utc, end_utc) = (
        webinars::to_utc(&start, &zone),
        webinars::to_utc(&end, &end_zone),
    );
    if end_utc <= start_utc {
        return Err(bad_request(ctx, "endDateTime must be after startDateTime."));
    }
    let audience = body
        .get("audience")
        .and_then(Value::as_str)
        .unwrap_or("organization");
    if !matches!(audience, "organization" | "everyone") {
        return Err(bad_request(
            ctx,
            &format!("'{audience}' is not a valid audience."),
        ));
    }
    let text = body
        .get("description")
        .map(|d| description(ctx, d))
        .transpose()?
        .unwrap_or_default();
    let co = body
        .get("coOrganizers")
        .map(|c| co_organizers(ctx, c, &caller.user))
        .transpose()?
        .unwrap_or_default();
    let emails = body
        .get("settings")
        .and_then(|s| s.get("isAttendeeEmailNotificationEnabled"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut rng = StdRng::from_entropy();
    // The model keeps one zone per webinar: the end moves into the start's zone.
    let end_local = chrono_local(&end_utc, &zone);
    let mut w = Webinar::new_draft(
        &mut rng,
        &caller.user,
        &name,
        &text,
        start,
        end_local,
        &zone,
        audience,
    );
    w.co_organizers = co;
    w.attendee_emails = emails;
    let mut answer = w.to_json(&caller.user, COMPANION_CLIENT_ID);
    answer["@odata.context"] = json!(context(req, "solutions/virtualEvents/webinars/$entity"));
    sim.with_webinars_mut(|ws| ws.push(w));
    Ok(ctx.json(StatusCode::CREATED, answer))
}

fn update(sim: &Sim, ctx: &Ctx, caller: &Caller, req: &Req, id: &str) -> Outcome {
    let body = body_object(ctx, req)?;
    only_fields(ctx, &body, WEBINAR_FIELDS_PATCH)?;
    sim.with_webinars_mut(|ws| {
        let w = find_mut(ws, ctx, caller, id)?;
        require_privileged(ctx, w, caller)?;
        if w.status == "canceled" {
            return Err(bad_request(ctx, "A canceled webinar cannot be changed."));
        }
        // Validate everything before changing anything.
        let name = body
            .get("displayName")
            .map(|v| display_name(ctx, v))
            .transpose()?;
        let text = body
            .get("description")
            .map(|v| description(ctx, v))
            .transpose()?;
        let start = body
            .get("startDateTime")
            .map(|v| date_time_zone(ctx, "startDateTime", v))
            .transpose()?;
        let end = body
            .get("endDateTime")
            .map(|v| date_time_zone(ctx, "endDateTime", v))
            .transpose()?;
        let co = body
            .get("coOrganizers")
            .map(|v| co_organizers(ctx, v, &w.organizer))
            .transpose()?;
        let zone = start
            .as_ref()
            .map(|(_, z)| z.clone())
            .unwrap_or_else(|| w.time_zone.clone());
        let new_start_utc = start
            .as_ref()
            .map_or_else(|| w.start_utc(), |(n, z)| webinars::to_utc(n, z));
        let new_end_utc = end
            .as_ref()
            .map_or_else(|| w.end_utc(), |(n, z)| webinars::to_utc(n, z));
        if new_end_utc <= new_start_utc {
            return Err(bad_request(ctx, "endDateTime must be after startDateTime."));
        }
        if let Some(n) = name {
            w.display_name = n;
        }
        if let Some(t) = text {
            w.description = t;
        }
        if start.is_some() || end.is_some() {
            w.start = chrono_local(&new_start_utc, &zone);
            w.end = chrono_local(&new_end_utc, &zone);
            w.time_zone = zone;
        }
        if let Some(c) = co {
            w.co_organizers = c;
        }
        let mut answer = w.to_json(&caller.user, COMPANION_CLIENT_ID);
        answer["@odata.context"] = json!(context(req, "solutions/virtualEvents/webinars/$entity"));
        Ok(ctx.json(StatusCode::OK, answer))
    })
}

/// An instant as wall-clock time in a Windows (or UTC) zone.
fn chrono_local(t: &chrono::DateTime<chrono::Utc>, zone: &str) -> NaiveDateTime {
    let tz: chrono_tz::Tz = zone
        .parse::<windows_timezones::WindowsTimezone>()
        .map(chrono_tz::Tz::from)
        .unwrap_or(chrono_tz::Tz::UTC);
    t.with_timezone(&tz).naive_local()
}

fn lifecycle(sim: &Sim, ctx: &Ctx, caller: &Caller, id: &str, action: &str) -> Outcome {
    sim.with_webinars_mut(|ws| {
        let w = find_mut(ws, ctx, caller, id)?;
        if w.organizer != caller.user {
            return Err(forbidden(
                ctx,
                &format!("Only the organizer can {action} a webinar."),
            ));
        }
        match (action, w.status.as_str()) {
            ("publish", "canceled") => Err(bad_request(
                ctx,
                "A canceled webinar cannot be published again.",
            )),
            ("publish", _) => {
                w.status = "published".into();
                Ok(ctx.no_content())
            }
            _ => {
                w.status = "canceled".into();
                Ok(ctx.no_content())
            }
        }
    })
}

fn set_external(sim: &Sim, ctx: &Ctx, caller: &Caller, req: &Req, id: &str) -> Outcome {
    let body = body_object(ctx, req)?;
    only_fields(ctx, &body, &["externalEventId"])?;
    let external = body
        .get("externalEventId")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request(ctx, "externalEventId is required."))?;
    if external.is_empty() || external.chars().count() > 256 {
        return Err(bad_request(
            ctx,
            "externalEventId must have 1 to 256 characters.",
        ));
    }
    sim.with_webinars_mut(|ws| {
        let w = find_mut(ws, ctx, caller, id)?;
        require_privileged(ctx, w, caller)?;
        // One entry per application: setting it again replaces ours.
        w.external_ids = vec![external.to_string()];
        Ok(ctx.no_content())
    })
}

// ----- licences ---------------------------------------------------------------------------------

/// `GET /me/licenseDetails`: a Microsoft 365 E5 for everyone, plus Teams Premium for the
/// accounts that have it. The SKU and service-plan names follow Microsoft's licensing table;
/// the ids are the simulator's own.
fn licence_details(sim: &Sim, ctx: &Ctx, caller: &Caller, req: &Req) -> Response {
    let plan = |name: &str, id: &str| json!({"servicePlanId": id, "servicePlanName": name, "provisioningStatus": "Success", "appliesTo": "User"});
    let mut value = vec![json!({
        "id": format!("{}-e5", caller.user),
        "skuId": "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
        "skuPartNumber": "SPE_E5",
        "servicePlans": [
            plan("TEAMS1", "57ff2da0-773e-42df-b2af-ffb7a2317929"),
            plan("EXCHANGE_S_ENTERPRISE", "efb87545-963c-4e0d-99df-69c6916d9eb0"),
        ],
    })];
    if sim.has_premium(&caller.user) {
        value.push(json!({
            "id": format!("{}-teams-premium", caller.user),
            "skuId": "989a1621-93bc-4be0-835c-fe30171d6463",
            "skuPartNumber": "Microsoft_Teams_Premium",
            "servicePlans": [
                plan("TEAMSPRO_WEBINAR", "78b58230-ec7e-4309-913c-93a45cc4735b"),
                plan("TEAMSPRO_MGMT", "0504111f-feb8-4a3c-992a-70280f9a2869"),
            ],
        }));
    }
    ctx.json(
        StatusCode::OK,
        json!({"@odata.context": format!("https://graph.microsoft.com/{}/$metadata#users('{}')/licenseDetails", req.version, caller.user), "value": value}),
    )
}

// ----- registration configuration ---------------------------------------------------------------

fn update_registration_configuration(
    sim: &Sim,
    ctx: &Ctx,
    caller: &Caller,
    req: &Req,
    id: &str,
) -> Outcome {
    let body = body_object(ctx, req)?;
    only_fields(
        ctx,
        &body,
        &["capacity", "isManualApprovalEnabled", "isWaitlistEnabled"],
    )?;
    let premium_asked = ["isManualApprovalEnabled", "isWaitlistEnabled"]
        .iter()
        .any(|k| body.get(*k).and_then(Value::as_bool) == Some(true));
    // Read outside the webinars' lock: the tenant's state sits behind one mutex.
    let organizer =
        sim.with_webinars(|ws| ws.iter().find(|w| w.id == id).map(|w| w.organizer.clone()));
    let premium = organizer.is_none_or(|o| sim.has_premium(&o));
    sim.with_webinars_mut(|ws| {
        let w = find_mut(ws, ctx, caller, id)?;
        require_privileged(ctx, w, caller)?;
        if premium_asked && !premium {
            // The real code is UNCONFIRMED; this shape is the simulator's assumption.
            return Err(ctx.json(
                StatusCode::FORBIDDEN,
                json!({"error": {
                    "code": "Forbidden",
                    "message": "Manual approval and waitlists need a Teams Premium licence for the organizer.",
                    "innerError": {"code": "TeamsPremiumLicenseRequired",
                        "date": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                        "request-id": ctx.request_id, "client-request-id": ctx.client_request_id}
                }}),
            ));
        }
        if let Some(c) = body.get("capacity") {
            match c.as_i64() {
                Some(n) if (1..=1000).contains(&n) => w.registration.capacity = Some(n),
                _ => return Err(bad_request(ctx, "capacity must be between 1 and 1000.")),
            }
        }
        if let Some(b) = body.get("isManualApprovalEnabled").and_then(Value::as_bool) {
            w.registration.manual_approval = b;
        }
        if let Some(b) = body.get("isWaitlistEnabled").and_then(Value::as_bool) {
            w.registration.waitlist = b;
        }
        Ok(ctx.json(StatusCode::OK, w.registration_configuration_json()))
    })
}

const PREDEFINED_LABELS: &[&str] = &[
    "street",
    "city",
    "state",
    "postalCode",
    "countryOrRegion",
    "industry",
    "jobTitle",
    "organization",
];

fn create_question(sim: &Sim, ctx: &Ctx, caller: &Caller, req: &Req, id: &str) -> Outcome {
    let body = body_object(ctx, req)?;
    let is_required = body
        .get("isRequired")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let kind = match body.get("@odata.type").and_then(Value::as_str) {
        Some("#microsoft.graph.virtualEventRegistrationCustomQuestion") => {
            only_fields(
                ctx,
                &body,
                &[
                    "displayName",
                    "isRequired",
                    "answerInputType",
                    "answerChoices",
                ],
            )?;
            let display_name = display_name(ctx, required(ctx, &body, "displayName")?)?;
            let input_type = body
                .get("answerInputType")
                .and_then(Value::as_str)
                .unwrap_or("text");
            if !matches!(
                input_type,
                "text" | "multilineText" | "singleChoice" | "multiChoice" | "boolean"
            ) {
                return Err(bad_request(
                    ctx,
                    &format!("'{input_type}' is not an answer input type."),
                ));
            }
            let choices: Vec<String> = body
                .get("answerChoices")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|c| c.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if matches!(input_type, "singleChoice" | "multiChoice") && choices.len() < 2 {
                return Err(bad_request(
                    ctx,
                    "A choice question needs at least two answerChoices.",
                ));
            }
            QuestionKind::Custom {
                display_name,
                input_type: input_type.to_string(),
                choices,
            }
        }
        Some("#microsoft.graph.virtualEventRegistrationPredefinedQuestion") => {
            only_fields(ctx, &body, &["label", "isRequired", "displayName"])?;
            let label = body.get("label").and_then(Value::as_str).unwrap_or("");
            if !PREDEFINED_LABELS.contains(&label) {
                return Err(bad_request(
                    ctx,
                    &format!("'{label}' is not a predefined question label."),
                ));
            }
            QuestionKind::Predefined {
                label: label.to_string(),
            }
        }
        _ => {
            return Err(bad_request(
                ctx,
                "A question needs @odata.type: #microsoft.graph.virtualEventRegistrationCustomQuestion or #microsoft.graph.virtualEventRegistrationPredefinedQuestion.",
            ));
        }
    };
    sim.with_webinars_mut(|ws| {
        let w = find_mut(ws, ctx, caller, id)?;
        require_privileged(ctx, w, caller)?;
        let q = Question {
            id: crate::people::guid(&mut StdRng::from_entropy()),
            required: is_required,
            kind,
        };
        let answer = webinars::question_json(&q);
        w.questions.push(q);
        Ok(ctx.json(StatusCode::CREATED, answer))
    })
}

// ----- registrations ---------------------------------------------------------------------------

fn register(sim: &Sim, ctx: &Ctx, caller: &Caller, req: &Req, id: &str) -> Outcome {
    let body = body_object(ctx, req)?;
    only_fields(
        ctx,
        &body,
        &[
            "preferredTimezone",
            "preferredLanguage",
            "externalRegistrationInformation",
            "registrationQuestionAnswers",
        ],
    )?;
    let tz = body
        .get("preferredTimezone")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request(ctx, "preferredTimezone is required."))?;
    let lang = body
        .get("preferredLanguage")
        .and_then(Value::as_str)
        .ok_or_else(|| bad_request(ctx, "preferredLanguage is required."))?;
    let account = ACCOUNTS
        .iter()
        .find(|a| a.object_id == caller.user)
        .ok_or_else(|| {
            forbidden(
                ctx,
                "Only users of this tenant can register with a delegated token.",
            )
        })?;
    let answers: Vec<Answer> = body
        .get("registrationQuestionAnswers")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|a| Answer {
                    question_id: a["questionId"].as_str().unwrap_or("").to_string(),
                    display_name: a["displayName"].as_str().unwrap_or("").to_string(),
                    value: a["value"].as_str().map(str::to_string),
                    boolean: a["booleanValue"].as_bool(),
                    multi: a["multiChoiceValues"]
                        .as_array()
                        .map(|m| {
                            m.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let external = body.get("externalRegistrationInformation").map(|e| {
        (
            e["referrer"].as_str().map(str::to_string),
            e["registrationId"].as_str().map(str::to_string),
        )
    });
    let now = sim.now();
    sim.with_webinars_mut(|ws| {
        let w = find_mut(ws, ctx, caller, id)?;
        if w.status != "published" {
            return Err(bad_request(
                ctx,
                "Registration is open only for published webinars.",
            ));
        }
        for q in w.questions.iter().filter(|q| q.required) {
            if !answers.iter().any(|a| a.question_id == q.id) {
                return Err(bad_request(
                    ctx,
                    &format!("Question '{}' needs an answer.", q.id),
                ));
            }
        }
        if w.registrants
            .iter()
            .any(|r| r.user_id.as_deref() == Some(account.object_id) && r.status != "canceled")
        {
            return Err(ctx.error(
                StatusCode::CONFLICT,
                "Conflict",
                "This user is already registered for the webinar.",
            ));
        }
        let (first, last) = account
            .display_name
            .split_once(' ')
            .unwrap_or((account.display_name, ""));
        let r = Registrant {
            id: crate::people::guid(&mut StdRng::from_entropy()),
            user_id: Some(account.object_id.to_string()),
            email: account.username.to_string(),
            first_name: first.to_string(),
            last_name: last.to_string(),
            status: "registered".into(),
            registered_at: now,
            canceled_at: None,
            time_zone: tz.to_string(),
            language: lang.to_string(),
            answers: answers.clone(),
            external: external.clone(),
        };
        let answer = webinars::registration_json(&r);
        w.registrants.push(r);
        Ok(ctx.json(StatusCode::CREATED, answer))
    })
}
