//! Who exists in the simulated tenant: the tenant itself, its demo accounts and its two app
//! registrations (the desktop public client and the companion API).

/// The simulated tenant's id.
pub const TENANT_ID: &str = "3f2a9c4e-8b1d-4e6f-9a7c-2d5e8f1b6c3a";
pub const TENANT_DOMAIN: &str = "contoso-demo.onmicrosoft.com";
/// The Webinar Desk desktop app registration (public client).
pub const DESKTOP_CLIENT_ID: &str = "5e0c7d41-6a0b-4c3e-9f58-1b2d3c4e5f60";
/// The companion API app registration.
pub const COMPANION_CLIENT_ID: &str = "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
/// Microsoft Graph's well-known application id (the `aud` of v1 Graph tokens).
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

pub fn companion_scope() -> String {
    format!("api://{COMPANION_CLIENT_ID}/access_as_user")
}

/// A demo account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    /// Short name used by tests and the CLI: `organizer`, `coorganizer`, `nopremium`.
    pub handle: &'static str,
    pub object_id: &'static str,
    pub display_name: &'static str,
    pub username: &'static str,
    pub job: &'static str,
    pub teams_premium: bool,
}

pub const ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        handle: "organizer",
        object_id: "b7ef9a12-3c4d-4e5f-8a6b-7c8d9e0f1a2b",
        display_name: "Megan Bowen",
        username: "megan.bowen@contoso-demo.onmicrosoft.com",
        job: "Events lead — organizes webinars, has Teams Premium",
        teams_premium: true,
    },
    DemoAccount {
        handle: "coorganizer",
        object_id: "7b7e1d23-4f5a-4b6c-9d7e-8f9a0b1c2d3e",
        display_name: "Adele Vance",
        username: "adele.vance@contoso-demo.onmicrosoft.com",
        job: "Trainer — co-organizes Megan's series, organizes a few of her own",
        teams_premium: true,
    },
    DemoAccount {
        handle: "nopremium",
        object_id: "c4d5e6f7-0a1b-4c2d-8e3f-4a5b6c7d8e9f",
        display_name: "Lee Gu",
        username: "lee.gu@contoso-demo.onmicrosoft.com",
        job: "Community manager — no Teams Premium licence",
        teams_premium: false,
    },
];

/// Finds an account by handle, object id or username (case-insensitive).
pub fn account(key: &str) -> Option<&'static DemoAccount> {
    ACCOUNTS.iter().find(|a| {
        a.handle.eq_ignore_ascii_case(key)
            || a.object_id == key
            || a.username.eq_ignore_ascii_case(key)
    })
}
