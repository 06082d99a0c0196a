//! Graph v1.0 JSON shapes for the virtual-event types we read, parsed leniently where the
//! documentation disagrees with itself: `description` as a plain string or an `itemBody`,
//! `null` for collections, unknown enum values kept as text.
//!
//! Invariant: these types never leave the `graph` module's callers unconverted into the UI or
//! the database; `sync` turns them into domain types.

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
    #[serde(default)]
    pub start_date_time: Option<DateTimeTimeZone>,
    #[serde(default)]
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
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
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

/// `virtualEventSession` (summary fields).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VirtualEventSession {
    pub id: String,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub join_web_url: Option<String>,
    #[serde(default)]
    pub start_date_time: Option<DateTimeTimeZone>,
    #[serde(default)]
    pub end_date_time: Option<DateTimeTimeZone>,
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
}
