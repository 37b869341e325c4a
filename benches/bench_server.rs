//! The two servers and the link list behind `benches/http.sh`, which drives
//! them with `wrk` and compares their requests per second.
//!
//! ```text
//! AUTHLINK_SECRET=<base64 key> bench_server links N        # N link paths, one a line
//! AUTHLINK_SECRET=<base64 key> bench_server authlink       # the consume endpoint
//! AUTHLINK_SECRET=<base64 key> bench_server handmade-links N
//! AUTHLINK_SECRET=<base64 key> bench_server handmade       # a hand-written link login
//! bench_server bare                                        # plain hyper, same answer
//! ```
//!
//! The servers listen on `127.0.0.1` on a free port, print
//! `listening on 127.0.0.1:PORT` once they accept connections, and run until
//! killed. They share everything but the handler: the tokio runtime and
//! hyper's HTTP/1 connection setup. Only the consume endpoint gets the peer
//! address in each request's extensions, as it needs it to check the link's
//! binding; the bare server is spared that.
//!
//! - `authlink`: the consume endpoint mounted as the README shows
//!   (`Endpoints::router` on an axum `Router`), with an in-memory replay
//!   cache and sessions in tower-sessions' `MemoryStore`. A link that checks
//!   out is answered `303 See Other` to its target with a fresh session
//!   cookie; anything else with the failure redirect to
//!   `/failed?error={reason}`, which the load script counts as a failure.
//! - `handmade`: what an app would write instead of the crate, on the same
//!   axum and tower-sessions: a path parameter, base64 decode, one truncated
//!   HMAC-SHA256 over a token as long as authlink's, an expiry check,
//!   `cycle_id`, `insert`, and the same `303` with the same headers. No
//!   replay cache, no client binding, no whitelist, no user stamp.
//! - `bare`: the same `303` with a fresh random session id in the same
//!   cookie, and the same `Cache-Control` and `Referrer-Policy`, for any
//!   request: what a server does at the least to hand out a session.
//!
//! Links are bound to `127.0.0.1` (where `wrk` connects from), lead to
//! [`TARGET`] and live an hour: the run is over long before.

use std::convert::Infallible;
use std::future::{Future, ready};
use std::io::{BufWriter, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use authlink::http::{Endpoints, LinkApp, PeerAddr, ResponseBody, TowerSessions};
use authlink::replay::MemoryReplayCache;
use authlink::web::Settings;
use authlink::{Authlink, KeyId, KeyRing, SecretKey};
use http::header::{CACHE_CONTROL, LOCATION, REFERRER_POLICY, SET_COOKIE};
use http::{HeaderValue, Request, Response, StatusCode, request};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::Service as _;
use tower_sessions::MemoryStore;

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

use fixtures::typical::{self, TARGET};

/// The session cookie's name, on both servers.
const COOKIE: &str = "sid";

/// Replay entries the authlink server can hold: more links than any run
/// consumes (the script sizes its lists far below this).
const REPLAY_CAPACITY: usize = 20_000_000;

const USAGE: &str = "usage: bench_server links N | authlink | handmade-links N | handmade | bare
  links N           print N link paths (needs AUTHLINK_SECRET, a base64 key)
  authlink          serve the consume endpoint (needs the same AUTHLINK_SECRET)
  handmade-links N  print N links of the hand-written login, as long as authlink's
  handmade          serve the hand-written login (needs the same AUTHLINK_SECRET)
  bare              serve a plain hyper 303 with a session cookie";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        // `cargo bench` runs every bench target; this one only serves
        // benches/http.sh.
        [] | ["--bench", ..] => {
            println!("bench_server: driven by benches/http.sh; nothing to do");
            Ok(())
        }
        ["links", n] => n
            .parse()
            .map_err(|_| format!("links: not a count: {n}"))
            .and_then(print_links),
        ["authlink"] => serve_authlink(),
        ["handmade-links", n] => n
            .parse()
            .map_err(|_| format!("handmade-links: not a count: {n}"))
            .and_then(handmade::print_links),
        ["handmade"] => handmade::serve(),
        ["bare"] => serve_bare(),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench_server: {message}");
            ExitCode::from(2)
        }
    }
}

/// `AUTHLINK_SECRET`, as every side but `bare` reads it.
fn secret() -> Result<String, String> {
    std::env::var("AUTHLINK_SECRET")
        .map_err(|_| "AUTHLINK_SECRET is not set (a base64 key of 32 bytes or more)".to_owned())
}

/// The engine both `links` and `authlink` build from `AUTHLINK_SECRET`.
fn authlink() -> Result<Authlink, String> {
    let secret =
        SecretKey::from_base64(&secret()?).map_err(|err| format!("AUTHLINK_SECRET: {err}"))?;
    Authlink::new(
        KeyRing::new(KeyId::new(1), secret),
        "authlink http bench",
        typical::load_policy(),
    )
    .map_err(|err| err.to_string())
}

fn print_links(count: u64) -> Result<(), String> {
    let authlink = authlink()?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    for user in 0..count {
        let link = authlink
            .issue(&user, TARGET, IpAddr::V4(Ipv4Addr::LOCALHOST))
            .map_err(|err| err.to_string())?;
        writeln!(out, "{}", link.url).map_err(|err| err.to_string())?;
    }
    out.flush().map_err(|err| err.to_string())
}

/// The link's user is a number; API callers are not part of the run.
struct Bench;

impl LinkApp for Bench {
    type User = u64;

    fn api_user(&self, _request: &mut request::Parts) -> impl Future<Output = Option<u64>> + Send {
        ready(None)
    }
}

fn serve_authlink() -> Result<(), String> {
    let sessions = TowerSessions::new(MemoryStore::default())
        .cookie_name(COOKIE)
        .insecure_cookie();
    let settings = Settings::with_origin(authlink()?, "http://127.0.0.1")
        .and_then(|settings| settings.failure_url("/failed?error={reason}"))
        .map_err(|err| err.to_string())?
        .replay_cache(MemoryReplayCache::with_capacity(REPLAY_CAPACITY))
        // The load is one user's links, which its consume limit would refuse.
        .without_limits();
    let router = Endpoints::new(settings, Bench, sessions).router(axum::Router::new());
    serve(move |mut request, peer: SocketAddr| {
        request.extensions_mut().insert(PeerAddr(peer.ip()));
        let mut router = router.clone();
        async move { router.call(request).await }
    })
}

fn serve_bare() -> Result<(), String> {
    serve(|_request, _peer| {
        let cookie = format!(
            "{COOKIE}={}; HttpOnly; SameSite=Lax; Path=/",
            tower_sessions::session::Id::default()
        );
        let mut response = Response::new(ResponseBody::default());
        *response.status_mut() = StatusCode::SEE_OTHER;
        let headers = response.headers_mut();
        headers.insert(LOCATION, HeaderValue::from_static(TARGET));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            headers.insert(SET_COOKIE, cookie);
        }
        ready(Ok::<_, Infallible>(response))
    })
}

/// Serves `handler` on a free loopback port until the process is killed,
/// passing it each request with the connection's peer address.
fn serve<H, F, R>(handler: H) -> Result<(), String>
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<Response<R>, Infallible>> + Send + 'static,
    R: hyper::body::Body<Data = bytes::Bytes> + Send + 'static,
    R::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(|err| format!("cannot listen on 127.0.0.1: {err}"))?;
        let addr = listener.local_addr().map_err(|err| err.to_string())?;
        println!("listening on {addr}");
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    eprintln!("bench_server: accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let handler = handler.clone();
            let service = service_fn(move |request| handler(request, peer));
            tokio::spawn(async move {
                // A client that goes away mid-request ends its connection.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

/// The link login an app would write by hand on axum and tower-sessions.
mod handmade {
    use std::io::{BufWriter, Write as _};
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use axum::extract::Path;
    use axum::response::{IntoResponse, Response};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{Hmac, KeyInit as _, Mac as _};
    use http::StatusCode;
    use http::header::{CACHE_CONTROL, LOCATION, REFERRER_POLICY};
    use sha2::Sha256;
    use tower::Service as _;
    use tower_sessions::{MemoryStore, Session, SessionManagerLayer};

    use super::{COOKIE, TARGET, authlink, secret};

    /// The tag is the first 16 bytes of the HMAC, as authlink's is.
    const TAG_LEN: usize = 16;

    fn mac() -> Result<Hmac<Sha256>, String> {
        // benches/http.sh writes it as standard padded base64.
        let key = base64::engine::general_purpose::STANDARD
            .decode(secret()?.trim())
            .map_err(|err| format!("AUTHLINK_SECRET: {err}"))?;
        Hmac::new_from_slice(&key).map_err(|err| err.to_string())
    }

    /// Links of the same length as authlink's: the user id and the expiry,
    /// zeros up to authlink's claims length, then the tag.
    pub(super) fn print_links(count: u64) -> Result<(), String> {
        let probe = authlink()?
            .issue(&0u64, TARGET, IpAddr::V4(Ipv4Addr::LOCALHOST))
            .map_err(|err| err.to_string())?;
        let token_bytes = probe.key.len() * 3 / 4;
        let mac = mac()?;
        let expires = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
        let mut claims = vec![0u8; token_bytes - TAG_LEN];
        claims[8..16].copy_from_slice(&expires.to_le_bytes());
        let mut out = BufWriter::new(std::io::stdout().lock());
        for user in 0..count {
            claims[..8].copy_from_slice(&user.to_le_bytes());
            let tag = mac.clone().chain_update(&claims).finalize().into_bytes();
            let mut token = claims.clone();
            token.extend_from_slice(&tag[..TAG_LEN]);
            let token = URL_SAFE_NO_PAD.encode(&token);
            if token.len() != probe.key.len() {
                return Err(format!(
                    "hand-written token is {} characters, authlink's {}",
                    token.len(),
                    probe.key.len()
                ));
            }
            writeln!(out, "/authlink/{token}").map_err(|err| err.to_string())?;
        }
        out.flush().map_err(|err| err.to_string())
    }

    fn failed() -> Response {
        (StatusCode::SEE_OTHER, [(LOCATION, "/failed")]).into_response()
    }

    async fn log_in(
        axum::extract::State(mac): axum::extract::State<Hmac<Sha256>>,
        Path(key): Path<String>,
        session: Session,
    ) -> Response {
        let Ok(token) = URL_SAFE_NO_PAD.decode(key) else {
            return failed();
        };
        if token.len() < 16 + TAG_LEN {
            return failed();
        }
        let (claims, tag) = token.split_at(token.len() - TAG_LEN);
        if mac
            .clone()
            .chain_update(claims)
            .verify_truncated_left(tag)
            .is_err()
        {
            return failed();
        }
        let field = |at: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&claims[at..at + 8]);
            bytes
        };
        let user = u64::from_le_bytes(field(0));
        let expires = i64::from_le_bytes(field(8));
        if expires < time::OffsetDateTime::now_utc().unix_timestamp() {
            return failed();
        }
        if session.cycle_id().await.is_err() || session.insert("user", user).await.is_err() {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        (
            StatusCode::SEE_OTHER,
            [
                (LOCATION, TARGET),
                (CACHE_CONTROL, "no-store"),
                (REFERRER_POLICY, "no-referrer"),
            ],
        )
            .into_response()
    }

    pub(super) fn serve() -> Result<(), String> {
        let sessions = SessionManagerLayer::new(MemoryStore::default())
            .with_name(COOKIE)
            .with_secure(false);
        let router = axum::Router::new()
            .route("/authlink/{key}", axum::routing::get(log_in))
            .with_state(mac()?)
            .layer(sessions);
        super::serve(move |request, _peer: SocketAddr| {
            let mut router = router.clone();
            async move { router.call(request).await }
        })
    }
}
