//! The endpoints' metrics, read back from `metrics-util`'s debugging
//! recorder set for this test's thread alone (the other tests of the binary
//! count elsewhere): links issued, logins, and refusals by reason code,
//! counted once each.

use crate::http_support;

use http::Method;
use http_support::{Options, TestApp};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::{CompositeKey, MetricKind};

fn counter(
    snapshot: &[(
        CompositeKey,
        Option<metrics::Unit>,
        Option<metrics::SharedString>,
        DebugValue,
    )],
    name: &str,
    reason: Option<&str>,
) -> u64 {
    snapshot
        .iter()
        .filter(|(key, ..)| key.kind() == MetricKind::Counter && key.key().name() == name)
        .filter(|(key, ..)| {
            let label = key.key().labels().find(|l| l.key() == "reason");
            label.map(|l| l.value()) == reason
        })
        .map(|(.., value)| match value {
            DebugValue::Counter(n) => *n,
            _ => 0,
        })
        .sum()
}

#[tokio::test]
async fn the_endpoints_count_issues_logins_and_refusals() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    // The test runtime is single-threaded: the app's tasks record here too.
    let _local = metrics::set_default_local_recorder(&recorder);

    let app = TestApp::start(Options {
        mode: authlink::web::ConsumeMode::PrefetchSafe,
        ..Options::default()
    })
    .await;
    let client = app.client();
    let link = app.link_for(&client, "/account").await;
    client
        .send(Method::POST, &link, &[("sec-fetch-site", "cross-site")], "")
        .await
        .assert_redirect("/?error=cross_site");
    client
        .send(Method::POST, &link, &[], "")
        .await
        .assert_redirect("/account");
    client
        .send(Method::POST, &link, &[], "")
        .await
        .assert_redirect("/?error=used");

    let snapshot = snapshotter.snapshot().into_vec();
    assert_eq!(counter(&snapshot, "authlink_links_issued_total", None), 1);
    assert_eq!(counter(&snapshot, "authlink_logins_total", None), 1);
    let refused = "authlink_links_refused_total";
    assert_eq!(counter(&snapshot, refused, Some("cross_site")), 1);
    assert_eq!(counter(&snapshot, refused, Some("used")), 1);
}
