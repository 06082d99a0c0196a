//! Graph v1.0 JSON shapes for the virtual-event types we read, parsed leniently where the
//! documentation disagrees with itself: `description` as a plain string or an `itemBody`,
//! `null` for collections, unknown enum values kept as text.
//!
//! Invariant: these types never leave the `graph` module's callers unconverted into the UI or
//! the database; `sync` turns them into domain types.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// One page of a collection.
#[derive(Debug, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct Page<T> {
    #[serde(default = "Vec::new", deserialize_with = "null_as_default")]
    pub value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
}

/// `virtualEventWebinar`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualEventWebinar {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient_body")]
    pub description: Option<ItemBody>,
    #[serde(default, deserialize_with = "lenient_zoned")]
    pub start_date_time: Option<DateTimeTimeZone>,
    #[serde(default, deserialize_with = "lenient_zoned")]
    pub end_date_time: Option<DateTimeTimeZone>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub co_organizers: Vec<CommunicationsUserIdentity>,
    #[serde(default)]
    pub created_by: Option<CommunicationsIdentitySet>,
    #[serde(default)]
    pub settings: Option<VirtualEventSettings>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub external_event_information: Vec<VirtualEventExternalInformation>,
    #[serde(default)]
    pub is_registration_required: Option<bool>,
}

/// `itemBody`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemBody {
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
}

/// `dateTimeTimeZone`: a wall-clock time and the zone it is in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DateTimeTimeZone {
    pub date_time: String,
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// `communicationsUserIdentity`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommunicationsUserIdentity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

/// `identity`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `communicationsIdentitySet` (only the members we read).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommunicationsIdentitySet {
    #[serde(default)]
    pub user: Option<Identity>,
    #[serde(default)]
    pub application: Option<Identity>,
}

/// `virtualEventSettings`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualEventSettings {
    #[serde(default)]
    pub is_attendee_email_notification_enabled: Option<bool>,
}

/// `virtualEventExternalInformation`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualEventExternalInformation {
    #[serde(default)]
    pub application_id: Option<String>,
    #[serde(default)]
    pub external_event_id: Option<String>,
}

/// `virtualEventSession`: the list gives only the summary fields; a GET of one session adds the
/// rest (we read the few the app uses).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualEventSession {
    pub id: String,
    #[serde(default)]
    pub video_on_demand_web_url: Option<String>,
    #[serde(default)]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub join_web_url: Option<String>,
    #[serde(default, deserialize_with = "lenient_zoned")]
    pub start_date_time: Option<DateTimeTimeZone>,
    #[serde(default, deserialize_with = "lenient_zoned")]
    pub end_date_time: Option<DateTimeTimeZone>,
}

/// `virtualEventRegistrationConfiguration` (the webinar subtype adds nothing).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationConfiguration {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub capacity: Option<i64>,
    #[serde(default)]
    pub is_manual_approval_enabled: Option<bool>,
    #[serde(default)]
    pub is_waitlist_enabled: Option<bool>,
    #[serde(default)]
    pub registration_web_url: Option<String>,
}

/// A PATCH of a webinar's registration settings; only the fields set are sent. Graph documents
/// only reading these (graph-api.md §1.5: setting them is UNCONFIRMED); approval and waitlist
/// need Teams Premium.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationSettingsPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_manual_approval_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_waitlist_enabled: Option<bool>,
}

/// A registration question as Graph returns it: custom or predefined, told apart by
/// `@odata.type`; a type we do not know is kept with what it shares.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationQuestion {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub is_required: Option<bool>,
    /// Custom questions: `text`, `multilineText`, `singleChoice`, `multiChoice`, `boolean`.
    #[serde(default)]
    pub answer_input_type: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub answer_choices: Vec<String>,
    /// Predefined questions: `jobTitle`, `organization`, `city`, …
    #[serde(default)]
    pub label: Option<String>,
}

pub const CUSTOM_QUESTION: &str = "#microsoft.graph.virtualEventRegistrationCustomQuestion";
pub const PREDEFINED_QUESTION: &str = "#microsoft.graph.virtualEventRegistrationPredefinedQuestion";

/// A question to create; Graph needs `@odata.type` on polymorphic creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@odata.type")]
pub enum NewQuestion {
    #[serde(
        rename = "#microsoft.graph.virtualEventRegistrationCustomQuestion",
        rename_all = "camelCase"
    )]
    Custom {
        display_name: String,
        is_required: bool,
        answer_input_type: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        answer_choices: Vec<String>,
    },
    #[serde(
        rename = "#microsoft.graph.virtualEventRegistrationPredefinedQuestion",
        rename_all = "camelCase"
    )]
    Predefined { label: String, is_required: bool },
}

/// `virtualEventRegistration`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    pub id: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// `registered`, `canceled`, `waitlisted`, `pendingApproval`, `rejectedByOrganizer`, or a
    /// value added later (kept as text).
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient_instant")]
    pub registration_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_instant")]
    pub cancelation_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub preferred_timezone: Option<String>,
    #[serde(default)]
    pub preferred_language: Option<String>,
    #[serde(default)]
    pub external_registration_information: Option<ExternalRegistrationInformation>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub registration_question_answers: Vec<QuestionAnswer>,
}

/// `virtualEventExternalRegistrationInformation`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalRegistrationInformation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_id: Option<String>,
}

/// `virtualEventRegistrationQuestionAnswer`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionAnswer {
    #[serde(default)]
    pub question_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boolean_value: Option<bool>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub multi_choice_values: Vec<String>,
}

/// The body of a delegated registration create: it registers the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRegistration {
    pub preferred_timezone: String,
    pub preferred_language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_registration_information: Option<ExternalRegistrationInformation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registration_question_answers: Vec<QuestionAnswer>,
}

/// `meetingAttendanceReport`; `attendanceRecords` only with `$expand`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttendanceReport {
    pub id: String,
    #[serde(default, deserialize_with = "lenient_instant")]
    pub meeting_start_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_instant")]
    pub meeting_end_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub total_participant_count: Option<i64>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub attendance_records: Vec<AttendanceRecord>,
}

/// `attendanceRecord`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttendanceRecord {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub identity: Option<Identity>,
    /// `None`, `Attendee`, `Presenter`, `Organizer` (text, as Graph types it).
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub total_attendance_in_seconds: Option<i64>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub attendance_intervals: Vec<AttendanceInterval>,
    #[serde(default)]
    pub registration_id: Option<String>,
}

/// `attendanceInterval`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttendanceInterval {
    #[serde(default, deserialize_with = "lenient_instant")]
    pub join_date_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient_instant")]
    pub leave_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub duration_in_seconds: Option<i64>,
}

/// The body of a webinar create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewWebinar {
    pub display_name: String,
    pub description: ItemBody,
    pub start_date_time: DateTimeTimeZone,
    pub end_date_time: DateTimeTimeZone,
    /// `organization` or `everyone`.
    pub audience: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub co_organizers: Vec<CommunicationsUserIdentity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<VirtualEventSettings>,
}

/// A PATCH of a webinar: only the documented updatable fields, only the changed ones sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebinarPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<ItemBody>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<DateTimeTimeZone>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<DateTimeTimeZone>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub co_organizers: Option<Vec<CommunicationsUserIdentity>>,
}

impl WebinarPatch {
    pub fn is_empty(&self) -> bool {
        *self == WebinarPatch::default()
    }
}

/// Graph's error body: `{"error": {"code", "message", "innerError": {...}}}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorDetail {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default, rename = "innerError", alias = "innererror")]
    pub inner_error: Option<Box<ErrorDetail>>,
}

impl ErrorDetail {
    /// Codes from outermost to innermost (branch on these, never on the message).
    pub fn code_chain(&self) -> Vec<String> {
        let mut chain = Vec::new();
        let mut cur = Some(self);
        while let Some(d) = cur {
            if let Some(c) = &d.code {
                chain.push(c.clone());
            }
            cur = d.inner_error.as_deref();
        }
        chain
    }
}

/// Instants as Graph writes them, with or without `Z` or an offset and with up to seven
/// fractional digits (examples omit the `Z`); a value we cannot read becomes `None`, never an
/// error, so one odd field does not lose a whole page.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

fn lenient_instant<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => parse_instant(&s),
        _ => None,
    })
}

/// `dateTimeTimeZone`, or (as one documentation example shows for sessions) a plain instant
/// string, read as UTC.
fn lenient_zoned<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTimeTimeZone>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Zoned(DateTimeTimeZone),
        Text(String),
        Other(#[expect(dead_code, reason = "only its shape matters")] serde_json::Value),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        Some(Either::Zoned(z)) => Some(z),
        Some(Either::Text(t)) => parse_instant(&t).map(|i| DateTimeTimeZone {
            date_time: i.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            time_zone: Some("UTC".into()),
        }),
        Some(Either::Other(_)) | None => None,
    })
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Some documentation examples show `"description": "String"`; accept both forms.
fn lenient_body<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ItemBody>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Body(ItemBody),
        Text(String),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        None => None,
        Some(Either::Body(b)) => Some(b),
        Some(Either::Text(t)) => Some(ItemBody {
            content_type: Some("text".into()),
            content: Some(t),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_create_response_parses() {
        let json = r#"{
          "id": "a57082a9-7629-4f74-8da0-8d621aab4d2d@4aa05bcc-1cac-4a83-a9ae-0db84b88f4ba",
          "status": "draft", "displayName": "The Impact of Tech on Our Lives",
          "description": {"contentType": "text", "content": "Discusses how technology has changed."},
          "startDateTime": {"dateTime": "2024-03-30T10:00:00", "timeZone": "Pacific Standard Time"},
          "endDateTime": {"dateTime": "2024-03-30T17:00:00", "timeZone": "Pacific Standard Time"},
          "audience": "organization",
          "createdBy": {"application": null, "device": null,
            "user": {"id": "b7ef", "displayName": "Diane Demoss", "tenantId": "7722"}},
          "coOrganizers": [{"id": "7b7e", "displayName": "Kenneth Brown", "tenantId": "7722"}],
          "settings": {"isAttendeeEmailNotificationEnabled": false}
        }"#;
        let w: VirtualEventWebinar = serde_json::from_str(json).unwrap();
        assert_eq!(
            w.co_organizers[0].display_name.as_deref(),
            Some("Kenneth Brown")
        );
        assert_eq!(
            w.created_by.unwrap().user.unwrap().display_name.as_deref(),
            Some("Diane Demoss")
        );
    }

    #[test]
    fn lenient_where_the_docs_disagree() {
        let json = r#"{"id":"x","description":"String","coOrganizers":null,"externalEventInformation":null,"status":"someFutureStatus"}"#;
        let w: VirtualEventWebinar = serde_json::from_str(json).unwrap();
        assert_eq!(w.description.unwrap().content.as_deref(), Some("String"));
        assert!(w.co_organizers.is_empty());
        assert_eq!(w.status.as_deref(), Some("someFutureStatus"));
    }

    #[test]
    fn error_code_chain_is_walked() {
        let json = r#"{"error":{"code":"activityLimitReached","message":"m","innerError":{"code":"throttledRequest","innerError":{"code":"quota"}}}}"#;
        let e: ErrorBody = serde_json::from_str(json).unwrap();
        assert_eq!(
            e.error.code_chain(),
            ["activityLimitReached", "throttledRequest", "quota"]
        );
    }

    #[test]
    fn registrations_read_dates_with_or_without_z_and_keep_unknown_statuses() {
        let json = r#"{"value":[
          {"id":"r1","email":"a@contoso.com","status":"registered",
           "registrationDateTime":"2023-03-07T22:04:17",
           "registrationQuestionAnswers":[{"questionId":"q1","value":"Seattle"},
             {"questionId":"q2","multiChoiceValues":["a","b"]},{"questionId":"q3","booleanValue":true}]},
          {"id":"r2","status":"someNewStatus","registrationDateTime":"2023-03-07T22:04:17.1234567Z",
           "cancelationDateTime":"not a date","registrationQuestionAnswers":null}
        ]}"#;
        let page: Page<Registration> = serde_json::from_str(json).unwrap();
        let [a, b] = page.value.as_slice() else {
            panic!("two registrations")
        };
        assert_eq!(
            a.registration_date_time.unwrap().to_rfc3339(),
            "2023-03-07T22:04:17+00:00"
        );
        assert_eq!(
            a.registration_question_answers[1].multi_choice_values,
            ["a", "b"]
        );
        assert_eq!(a.registration_question_answers[2].boolean_value, Some(true));
        assert_eq!(b.status.as_deref(), Some("someNewStatus"));
        assert!(b.registration_date_time.is_some());
        assert_eq!(
            b.cancelation_date_time, None,
            "an unreadable date is dropped, not fatal"
        );
        assert!(b.registration_question_answers.is_empty());
    }

    #[test]
    fn questions_are_told_apart_by_odata_type_and_created_with_it() {
        let json = r##"{"value":[
          {"@odata.type":"#microsoft.graph.virtualEventRegistrationCustomQuestion","id":"1",
           "displayName":"Which city?","isRequired":true,"answerInputType":"singleChoice","answerChoices":["Seattle","London"]},
          {"@odata.type":"#microsoft.graph.virtualEventRegistrationPredefinedQuestion","id":"2","label":"jobTitle","isRequired":false}
        ]}"##;
        let page: Page<RegistrationQuestion> = serde_json::from_str(json).unwrap();
        assert_eq!(page.value[0].odata_type.as_deref(), Some(CUSTOM_QUESTION));
        assert_eq!(page.value[0].answer_choices, ["Seattle", "London"]);
        assert_eq!(
            page.value[1].odata_type.as_deref(),
            Some(PREDEFINED_QUESTION)
        );
        assert_eq!(page.value[1].label.as_deref(), Some("jobTitle"));

        let custom = NewQuestion::Custom {
            display_name: "Which city?".into(),
            is_required: true,
            answer_input_type: "singleChoice".into(),
            answer_choices: vec!["Seattle".into()],
        };
        assert_eq!(
            serde_json::to_value(&custom).unwrap(),
            serde_json::json!({"@odata.type": CUSTOM_QUESTION, "displayName": "Which city?",
                "isRequired": true, "answerInputType": "singleChoice", "answerChoices": ["Seattle"]})
        );
        let predefined = NewQuestion::Predefined {
            label: "jobTitle".into(),
            is_required: false,
        };
        assert_eq!(
            serde_json::to_value(&predefined).unwrap(),
            serde_json::json!({"@odata.type": PREDEFINED_QUESTION, "label": "jobTitle", "isRequired": false})
        );
    }

    #[test]
    fn a_session_start_given_as_a_plain_instant_is_read_as_utc() {
        let json = r#"{"id":"s","startDateTime":"2023-08-08T12:30:00Z","endDateTime":{"dateTime":"2023-08-08T13:30:00","timeZone":"UTC"}}"#;
        let s: VirtualEventSession = serde_json::from_str(json).unwrap();
        let start = s.start_date_time.unwrap();
        assert_eq!(start.date_time, "2023-08-08T12:30:00");
        assert_eq!(start.time_zone.as_deref(), Some("UTC"));
    }

    #[test]
    fn a_patch_sends_only_what_changed() {
        let patch = WebinarPatch {
            display_name: Some("New title".into()),
            ..WebinarPatch::default()
        };
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            serde_json::json!({"displayName": "New title"})
        );
        assert!(WebinarPatch::default().is_empty());
    }

    /// Every Graph JSON parser, fed arbitrary input: it may refuse, it must never panic.
    mod never_panics {
        use super::*;
        use proptest::prelude::*;
        use serde_json::Value;

        fn parse_all(bytes: &[u8]) {
            let _ = serde_json::from_slice::<Page<VirtualEventWebinar>>(bytes);
            let _ = serde_json::from_slice::<VirtualEventWebinar>(bytes);
            let _ = serde_json::from_slice::<Page<VirtualEventSession>>(bytes);
            let _ = serde_json::from_slice::<RegistrationConfiguration>(bytes);
            let _ = serde_json::from_slice::<Page<RegistrationQuestion>>(bytes);
            let _ = serde_json::from_slice::<Page<Registration>>(bytes);
            let _ = serde_json::from_slice::<AttendanceReport>(bytes);
            let _ = serde_json::from_slice::<Page<AttendanceReport>>(bytes);
            let _ = serde_json::from_slice::<Page<AttendanceRecord>>(bytes);
            if let Ok(e) = serde_json::from_slice::<ErrorBody>(bytes) {
                let _ = e.error.code_chain();
            }
        }

        fn json_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                ".{0,12}".prop_map(Value::String),
                // Strings shaped like the values Graph sends.
                prop_oneof![
                    Just("2026-03-30T10:00:00".to_string()),
                    Just("2026-03-30T10:00:00.0000000Z".to_string()),
                    Just("2026-13-45T99:00:00".to_string()),
                    Just("Pacific Standard Time".to_string()),
                    Just("#microsoft.graph.virtualEventRegistrationCustomQuestion".to_string()),
                ]
                .prop_map(Value::String),
            ];
            let keys = prop_oneof![
                Just("id"),
                Just("value"),
                Just("@odata.nextLink"),
                Just("displayName"),
                Just("description"),
                Just("startDateTime"),
                Just("endDateTime"),
                Just("dateTime"),
                Just("timeZone"),
                Just("status"),
                Just("coOrganizers"),
                Just("createdBy"),
                Just("user"),
                Just("settings"),
                Just("externalEventInformation"),
                Just("registrationQuestionAnswers"),
                Just("multiChoiceValues"),
                Just("attendanceRecords"),
                Just("attendanceIntervals"),
                Just("joinDateTime"),
                Just("totalAttendanceInSeconds"),
                Just("error"),
                Just("innerError"),
                Just("code"),
                Just("@odata.type"),
                Just("answerChoices"),
                Just("capacity"),
                Just("content"),
            ];
            leaf.prop_recursive(5, 96, 8, move |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::vec((keys.clone(), inner), 0..8).prop_map(|kv| {
                        Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
                    }),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2_000))]

            #[test]
            fn on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
                parse_all(&bytes);
            }

            #[test]
            fn on_any_json_shaped_like_graph(value in json_value()) {
                parse_all(value.to_string().as_bytes());
                // And wrapped as a page, so collections see it too.
                parse_all(serde_json::json!({"value": [value]}).to_string().as_bytes());
            }

            #[test]
            fn instants_never_panic(text in ".{0,40}") {
                let _ = parse_instant(&text);
            }
        }
    }
}

/// `licenseDetails`: one licence assigned to the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenceDetail {
    #[serde(default)]
    pub sku_part_number: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub service_plans: Vec<ServicePlanInfo>,
}

/// `servicePlanInfo`: a service inside a licence, and whether it is switched on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePlanInfo {
    #[serde(default)]
    pub service_plan_name: Option<String>,
    /// `Success` when the plan is active for the user; `Disabled`, `PendingActivation`, …
    #[serde(default)]
    pub provisioning_status: Option<String>,
}
