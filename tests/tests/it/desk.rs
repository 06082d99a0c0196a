//! The desk across restarts: silent sign-in from the keychain, offline with cached data, sign
//! out, settings.

use std::sync::Arc;

use webinar_desk_core::auth::{Keychain, MemoryKeychain};
use webinar_desk_core::config::{Profile, TenantSettings};
use webinar_desk_core::desk::Connection;
use webinar_desk_core::{Desk, ErrorKind};
use webinar_desk_tests::{Home, desk, settings_for, signed_in, start_tenant};

#[tokio::test]
async fn reopening_shows_the_cache_at_once_and_signs_in_silently() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let first = signed_in(&home, &sim, keychain.clone(), "organizer").await;
    first.sync_webinars(chrono::Utc::now()).await.unwrap();
    let cached = first.webinars().await.unwrap().webinars;
    drop(first);

    let again = desk(&home, &sim, keychain.clone());
    let status = again.status().await;
    assert_eq!(
        status.connection,
        Connection::Connecting,
        "cache open before any network call"
    );
    assert_eq!(status.account.as_ref().unwrap().display_name, "Megan Bowen");
    assert_eq!(
        again.webinars().await.unwrap().webinars,
        cached,
        "cached list without the network"
    );
    assert_eq!(again.resume().await.connection, Connection::Online);
    again
        .sync_webinars(chrono::Utc::now())
        .await
        .expect("sync with the silently renewed tokens");
}

#[tokio::test]
async fn with_the_tenant_unreachable_the_cache_stays_and_is_marked_offline() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let first = signed_in(&home, &sim, keychain.clone(), "organizer").await;
    first.sync_webinars(chrono::Utc::now()).await.unwrap();
    let cached = first.webinars().await.unwrap();
    let settings = settings_for(&sim);
    drop(first);
    drop(sim);

    let offline = Desk::new(
        home.paths(),
        Profile::Configured,
        Some(settings.validate().unwrap()),
        keychain.clone(),
    )
    .unwrap();
    let status = offline.resume().await;
    assert!(
        matches!(status.connection, Connection::Offline { .. }),
        "{:?}",
        status.connection
    );
    let list = offline.webinars().await.unwrap();
    assert_eq!(list.webinars, cached.webinars);
    assert_eq!(
        list.sync.unwrap().last_success_at,
        cached.sync.unwrap().last_success_at,
        "the data's age is known"
    );
    let err = offline.sync_webinars(chrono::Utc::now()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Offline, "{err}");
    assert_eq!(
        offline.webinars().await.unwrap().webinars,
        cached.webinars,
        "a failed sync keeps the cache"
    );
    assert_eq!(
        keychain.len(),
        1,
        "being offline does not forget the sign-in"
    );
}

#[tokio::test]
async fn a_refresh_token_entra_no_longer_accepts_asks_for_sign_in_and_keeps_the_cache() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let first = signed_in(&home, &sim, keychain.clone(), "organizer").await;
    first.sync_webinars(chrono::Utc::now()).await.unwrap();
    let account = first.status().await.account.unwrap();
    drop(first);
    let rt = keychain.load(&account.key()).unwrap().unwrap();
    sim.revoke_refresh_token(rt.expose());

    let again = desk(&home, &sim, keychain);
    let status = again.resume().await;
    let Connection::NeedsSignIn { reason } = status.connection else {
        panic!("{:?}", status.connection)
    };
    assert!(
        reason.contains("Sign in again") && reason.contains("AADSTS50173"),
        "{reason}"
    );
    assert!(!again.webinars().await.unwrap().webinars.is_empty());
    let err = again.sync_webinars(chrono::Utc::now()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignInRequired);
}

#[tokio::test]
async fn sign_out_forgets_tokens_and_keeps_the_cache_unless_asked() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let d = signed_in(&home, &sim, keychain.clone(), "organizer").await;
    d.sync_webinars(chrono::Utc::now()).await.unwrap();
    let account = d.status().await.account.unwrap();
    let db = home.paths().account_db(&account);
    let status = d.sign_out(false).await.unwrap();
    assert_eq!(status.connection, Connection::SignedOut);
    assert!(status.account.is_none());
    assert!(
        keychain.is_empty(),
        "the refresh token is gone from the keychain"
    );
    assert!(db.exists(), "the cache stays");
    assert_eq!(
        d.webinars().await.unwrap_err().kind(),
        ErrorKind::SignInRequired
    );

    let d = signed_in(&home, &sim, keychain.clone(), "organizer").await;
    assert!(
        !d.webinars().await.unwrap().webinars.is_empty(),
        "signing back in finds the kept cache"
    );
    d.sign_out(true).await.unwrap();
    assert!(!db.exists(), "asked to, sign-out removes the cache");
    assert!(!db.parent().unwrap().exists());
}

#[tokio::test]
async fn accounts_have_separate_caches() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let megan = signed_in(&home, &sim, keychain.clone(), "organizer").await;
    megan.sync_webinars(chrono::Utc::now()).await.unwrap();
    let megan_list = megan.webinars().await.unwrap().webinars;
    megan.sign_out(false).await.unwrap();
    let lee = signed_in(&home, &sim, keychain.clone(), "nopremium").await;
    assert!(
        lee.webinars().await.unwrap().webinars.is_empty(),
        "a new account starts empty"
    );
    lee.sync_webinars(chrono::Utc::now()).await.unwrap();
    let lee_list = lee.webinars().await.unwrap().webinars;
    assert!(!lee_list.is_empty() && lee_list.len() < megan_list.len());
    assert!(
        lee_list
            .iter()
            .all(|w| !megan_list.iter().any(|m| m.id == w.id))
    );
}

#[tokio::test]
async fn settings_are_validated_saved_and_picked_up() {
    let sim = start_tenant(20).await;
    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let d = Desk::configured(home.paths(), keychain.clone()).unwrap();
    assert!(!d.status().await.configured);
    let err = d
        .sign_in(
            &Default::default(),
            &webinar_desk_tests::browser_as("organizer"),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotConfigured);

    let bad = TenantSettings {
        tenant_id: "common".into(),
        ..settings_for(&sim)
    };
    let err = d.save_settings(bad).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert_eq!(err.field_problems()[0].0, "tenant_id");
    assert!(
        !home.paths().settings_file().exists(),
        "invalid settings are not saved"
    );

    let status = d.save_settings(settings_for(&sim)).await.unwrap();
    assert!(status.configured);
    assert_eq!(d.settings().unwrap(), settings_for(&sim));
    let reopened = Desk::configured(home.paths(), keychain).unwrap();
    assert!(reopened.status().await.configured);
}

/// IT pushes the tenant in the machine-wide settings file: the app is configured without the
/// organizer typing anything, signs in and syncs, and a save cannot move a pushed field.
#[tokio::test]
async fn settings_it_pushed_configure_the_app_and_a_save_keeps_them() {
    let sim = start_tenant(50).await;
    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let pushed = settings_for(&sim);
    let managed_file = home.paths().managed_settings_file;
    std::fs::create_dir_all(managed_file.parent().unwrap()).unwrap();
    std::fs::write(
        &managed_file,
        toml::to_string(&webinar_desk_core::config::SettingsFile {
            tenant: pushed.clone(),
            ..Default::default()
        })
        .unwrap(),
    )
    .unwrap();

    let d = Desk::configured(home.paths(), keychain.clone()).unwrap();
    assert!(d.status().await.configured, "configured by IT alone");
    assert!(
        !home.paths().settings_file().exists(),
        "nothing the organizer saved"
    );
    assert_eq!(d.settings().unwrap(), pushed);
    assert_eq!(
        d.managed_fields().unwrap(),
        [
            "tenant_id",
            "client_id",
            "companion_url",
            "companion_scope",
            "authority_url",
            "graph_url"
        ]
    );
    d.sign_in(
        &webinar_desk_core::auth::SignInOptions::default(),
        &webinar_desk_tests::browser_as("organizer"),
    )
    .await
    .expect("sign-in with the pushed settings");
    d.sync_webinars(chrono::Utc::now())
        .await
        .expect("sync with the pushed settings");

    let typed = TenantSettings {
        tenant_id: "contoso.onmicrosoft.com".into(),
        ..pushed.clone()
    };
    d.save_settings(typed).await.unwrap();
    assert_eq!(
        d.settings().unwrap().tenant_id,
        pushed.tenant_id,
        "the organization's tenant stays in force"
    );
}

#[tokio::test]
async fn opening_the_app_finishes_a_publish_or_an_edit_a_crash_cut_short() {
    use webinar_desk_core::series::{Audience, Recurrence, SeriesPlan, Until, generate};
    use webinar_desk_core::store::{JournalEntry, Phase, SeriesState, Store};

    let sim = start_tenant(50).await;
    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let first = signed_in(&home, &sim, keychain.clone(), "organizer").await;
    let plan = SeriesPlan {
        id: "crashed".into(),
        title: "Crashed course".into(),
        description_html: String::new(),
        audience: Audience::Everyone,
        co_organizers: vec![],
        time_zone: "America/New_York".into(),
        attendee_emails: true,
        sessions: generate(
            (chrono::Utc::now() + chrono::Duration::days(20)).date_naive(),
            chrono::NaiveTime::from_hms_opt(11, 0, 0).unwrap(),
            30,
            Recurrence::Weekly { every_weeks: 2 },
            Until::Count(2),
            1,
        )
        .unwrap(),
        questions: vec![],
        registration: Default::default(),
    };
    assert!(
        first
            .save_series(&plan, chrono::Utc::now())
            .await
            .unwrap()
            .is_empty()
    );
    let db = home
        .paths()
        .account_db(&first.status().await.account.unwrap());
    drop(first);
    // The process died right after journalling the publish's intent.
    Store::open(&db)
        .unwrap()
        .journal(
            &JournalEntry {
                seq: None,
                operation_id: "before-the-crash".into(),
                series_id: Some("crashed".into()),
                n: None,
                action: "publish".into(),
                target: None,
                phase: Phase::Intent,
                at: chrono::Utc::now(),
                actor: "megan".into(),
                client_request_id: None,
                request_id: None,
                status: None,
                error_class: None,
                message: None,
            },
            Some(SeriesState::Publishing),
        )
        .unwrap();

    let reopened = desk(&home, &sim, keychain.clone());
    assert_eq!(reopened.start().await.connection, Connection::Online);
    let list = reopened.series_list().await.unwrap();
    assert_eq!(list[0].1, SeriesState::Published);
    let live: Vec<_> = sim
        .webinars()
        .into_iter()
        .filter(|w| w.display_name.starts_with("Crashed course") && w.status == "published")
        .collect();
    assert_eq!(live.len(), 2);
    assert!(live.iter().all(|w| w.time_zone == "Eastern Standard Time"));
    let detail = reopened.series_detail("crashed").await.unwrap();
    assert!(
        detail
            .sessions
            .iter()
            .all(|s| s.published && s.webinar_id.is_some() && !s.pending_changes),
        "{:?}",
        detail.sessions
    );

    // Now the process dies right after saving an edit, before sending it.
    drop(reopened);
    let mut moved = plan.clone();
    moved.sessions[1].start = chrono::NaiveTime::from_hms_opt(16, 45, 0).unwrap();
    Store::open(&db)
        .unwrap()
        .save_series_edit(
            &moved,
            &JournalEntry {
                seq: None,
                operation_id: "edit-before-the-crash".into(),
                series_id: Some("crashed".into()),
                n: None,
                action: "edit".into(),
                target: None,
                phase: Phase::Intent,
                at: chrono::Utc::now(),
                actor: "megan".into(),
                client_request_id: None,
                request_id: None,
                status: None,
                error_class: None,
                message: None,
            },
            SeriesState::Updating,
        )
        .unwrap();
    let reopened = desk(&home, &sim, keychain);
    reopened.start().await;
    let detail = reopened.series_detail("crashed").await.unwrap();
    assert_eq!(detail.state, SeriesState::Published);
    assert!(detail.sessions.iter().all(|s| !s.pending_changes));
    let second = sim
        .webinars()
        .into_iter()
        .find(|w| w.external_ids.contains(&"crashed:2".to_string()))
        .unwrap();
    assert_eq!(second.start.format("%H:%M").to_string(), "16:45");

    // A series only planned is deleted locally without asking Teams anything.
    let mut draft = plan.clone();
    draft.id = "draft".into();
    reopened
        .save_series(&draft, chrono::Utc::now())
        .await
        .unwrap();
    let reads = sim.graph_stats().reads;
    assert!(reopened.delete_series("draft").await.unwrap().is_empty());
    assert_eq!(sim.graph_stats().reads, reads);
    assert_eq!(reopened.series_list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn outcome_rules_are_checked_saved_and_applied_to_every_kept_session_offline() {
    use webinar_desk_core::attendance::Rules;
    let sim = start_tenant(50).await;
    let ids = sim.add_series(&tenant_sim::SeriesSpec {
        organizer: "organizer",
        title: "Rules course".into(),
        sessions: 2,
        first_start: sim.now() - chrono::Duration::days(20),
        every: chrono::Duration::days(7),
        length: chrono::Duration::hours(1),
        registrations: 80,
        records: 120,
    });
    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let d = signed_in(&home, &sim, keychain.clone(), "organizer").await;
    for id in &ids {
        d.sync_attendance(id, sim.now()).await.unwrap();
    }
    let before: Vec<_> = {
        let mut v = Vec::new();
        for id in &ids {
            let q = webinar_desk_core::store::PageQuery {
                limit: 10,
                ..Default::default()
            };
            v.push(d.session_attendance(id, &q).await.unwrap().stats.unwrap());
        }
        v
    };
    assert_eq!(d.attendance_rules().await.unwrap(), Rules::default());

    let wrong = d
        .set_attendance_rules(
            Rules {
                attended_pct: 0.0,
                completion_pct: 75.0,
            },
            sim.now(),
        )
        .await
        .unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::InvalidConfig);
    assert!(wrong.to_string().contains("above 0"), "{wrong}");
    assert_eq!(d.attendance_rules().await.unwrap(), Rules::default());

    // Offline: the tenant is gone, the recompute needs only the local copy.
    drop(sim);
    let lenient = Rules {
        attended_pct: 10.0,
        completion_pct: 50.0,
    };
    assert_eq!(
        d.set_attendance_rules(lenient, chrono::Utc::now())
            .await
            .unwrap(),
        2
    );
    drop(d);
    let again = desk(&home, &start_tenant(50).await, keychain);
    assert_eq!(again.attendance_rules().await.unwrap(), lenient, "saved");
    for (id, old) in ids.iter().zip(before) {
        let q = webinar_desk_core::store::PageQuery {
            limit: 10,
            ..Default::default()
        };
        let new = again
            .session_attendance(id, &q)
            .await
            .unwrap()
            .stats
            .unwrap();
        assert!(
            new.attended > old.attended,
            "a lower bar turns partial attendees into attendees: {old:?} → {new:?}"
        );
        assert_eq!(
            new.attended + new.partial,
            old.attended + old.partial,
            "the same people were present"
        );
        assert_eq!(new.registered, old.registered);
    }
}

#[tokio::test]
async fn a_person_is_followed_across_every_series_offline_by_e_mail_and_never_guessed() {
    use webinar_desk_core::store::PersonRef;
    let sim = start_tenant(50).await;
    let spec = |title: &str| tenant_sim::SeriesSpec {
        organizer: "organizer",
        title: title.into(),
        sessions: 3,
        first_start: sim.now() - chrono::Duration::days(30),
        every: chrono::Duration::days(7),
        length: chrono::Duration::hours(1),
        registrations: 40,
        records: 50,
    };
    let a = sim.add_series(&spec("Course A"));
    let b = sim.add_series(&spec("Course B"));
    let home = Home::new();
    let keychain = Arc::new(MemoryKeychain::default());
    let d = signed_in(&home, &sim, keychain.clone(), "organizer").await;
    d.sync_webinars(sim.now()).await.unwrap();
    let course_a = d.group_webinars("Course A", &a).await.unwrap();

    // A regular of course A also signs up for course B's last session, typing the address in
    // capitals.
    d.sync_attendance(&a[0], sim.now()).await.unwrap();
    d.sync_attendance(&a[1], sim.now()).await.unwrap();
    d.sync_attendance(&a[2], sim.now()).await.unwrap();
    let matrix = d.series_attendance(&course_a.id).await.unwrap();
    let regular = matrix
        .rows
        .iter()
        .filter(|r| r.person.contains('@'))
        .max_by_key(|r| r.cells.iter().filter(|c| c.is_some()).count())
        .expect("people in the matrix")
        .clone();
    let in_a = regular.cells.iter().filter(|c| c.is_some()).count();
    assert!(in_a >= 2, "the simulated audience comes back: {regular:?}");
    let registrant = sim
        .webinars()
        .into_iter()
        .filter(|w| a.contains(&w.id))
        .flat_map(|w| w.registrants)
        .find(|r| r.email.to_lowercase() == regular.person)
        .expect("the regular registered somewhere in course A");
    assert!(sim.edit_in_teams(&b[2], |w| {
        let mut again = registrant.clone();
        again.id = "b-registration-of-the-regular".into();
        again.email = registrant.email.to_uppercase();
        w.registrants.push(again);
    }));
    for id in &b {
        d.sync_attendance(id, sim.now()).await.unwrap();
    }

    // Offline: the drawer reads the local copy only.
    drop(sim);
    let history = d
        .person_history(&PersonRef::Email(regular.person.to_uppercase()))
        .await
        .unwrap();
    let seen: Vec<&str> = history
        .webinars
        .iter()
        .map(|w| w.webinar_id.as_str())
        .collect();
    assert_eq!(
        history.webinars.len(),
        in_a + 1,
        "every course A session the matrix shows, and course B's last: {seen:?}"
    );
    assert_eq!(seen[0], b[2], "newest first: {seen:?}");
    let b_entry = &history.webinars[0];
    assert_eq!(
        b_entry.registration.as_ref().map(|r| r.id.as_str()),
        Some("b-registration-of-the-regular")
    );
    assert_eq!(
        b_entry.attendance.as_ref().map(|a| a.outcome.as_str()),
        Some("noShow"),
        "registered for B's last session and never came"
    );
    assert_eq!(b_entry.series, None, "course B is not grouped as a series");
    assert!(b_entry.title.as_deref().unwrap().starts_with("Course B"));
    for (i, cell) in regular.cells.iter().enumerate() {
        let entry = history.webinars.iter().find(|w| w.webinar_id == a[i]);
        assert_eq!(entry.is_some(), cell.is_some(), "session {} of A", i + 1);
        if let Some(e) = entry {
            let (series, title, n) = e.series.clone().expect("course A is a series");
            assert_eq!(
                (series.as_str(), title.as_str(), n),
                (course_a.id.as_str(), "Course A", i as u32 + 1)
            );
            assert!(
                !e.questions.is_empty(),
                "answers can be shown with their questions"
            );
        }
    }
    assert_eq!(history.name, regular.name);
    assert!(
        history
            .webinars
            .windows(2)
            .all(|p| p[0].start >= p[1].start),
        "newest first: {seen:?}"
    );

    // Someone who dialled in by phone has no e-mail: known only within that session.
    let q = webinar_desk_core::store::PageQuery {
        search: String::new(),
        filter: Some("unregistered".into()),
        sort: "name".into(),
        descending: false,
        offset: 0,
        limit: 1000,
    };
    let mut caller = None;
    for id in b.iter().chain(&a) {
        let page = d.session_attendance(id, &q).await.unwrap().page;
        if let Some(r) = page.rows.into_iter().find(|r| r.email.is_none()) {
            caller = Some((id.clone(), r));
            break;
        }
    }
    let caller = caller.expect("a phone dial-in in six sessions");
    let alone = d
        .person_history(&PersonRef::InSession {
            webinar_id: caller.0.clone(),
            person_key: caller.1.person_key.clone(),
        })
        .await
        .unwrap();
    assert_eq!(alone.webinars.len(), 1, "{alone:?}");
    assert_eq!(alone.webinars[0].webinar_id, caller.0);
    assert_eq!(alone.email, None);
    assert_eq!(alone.name, caller.1.name);
}
