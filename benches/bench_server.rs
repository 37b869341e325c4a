//! The two servers and the link list behind `benches/http.sh`, which drives
//! them with `wrk` and compares their requests per second.
//!
//! ```text
//! AUTHLINK_SECRET=<base64 key> bench_server links N   # N link paths, one a line
//! AUTHLINK_SECRET=<base64 key> bench_server authlink  # the consume endpoint
//! bench_server bare                                   # plain hyper, same answer
//! ```
//!
//! Both servers listen on `127.0.0.1` on a free port, print
//! `listening on 127.0.0.1:PORT` once they accept connections, and run until
//! killed. They share everything but the handler: the tokio runtime and
//! hyper's HTTP/1 connection setup. Only the consume endpoint gets the peer
//! address in each request's extensions, as it needs it to check the link's
//! binding; the bare server is spared that.
//!
//! - `authlink`: the consume endpoint with an in-memory replay cache and
//!   sessions in tower-sessions' `MemoryStore`. A link that checks out is
//!   answered `303 See Other` to its target with a fresh session cookie; anything else with the failure redirect to
//!   `/failed?error={reason}`, which the load script counts as a failure.
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

const USAGE: &str = "usage: bench_server links N | authlink | bare
  links N    print N link paths (needs AUTHLINK_SECRET, a base64 key)
  authlink   serve the consume endpoint (needs the same AUTHLINK_SECRET)
  bare       serve a plain hyper 303 with a session cookie";

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

/// The engine both `links` and `authlink` build from `AUTHLINK_SECRET`.
fn authlink() -> Result<Authlink, String> {
    let secret = std::env::var("AUTHLINK_SECRET")
        .map_err(|_| "AUTHLINK_SECRET is not set (a base64 key of 32 bytes or more)".to_owned())?;
    let secret =
        SecretKey::from_base64(&secret).map_err(|err| format!("AUTHLINK_SECRET: {err}"))?;
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
    let consume = Endpoints::new(settings, Bench, sessions).consume_service();
    serve(move |mut request, peer: SocketAddr| {
        request.extensions_mut().insert(PeerAddr(peer.ip()));
        let mut consume = consume.clone();
        async move { consume.call(request).await }
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
        ready(Ok(response))
    })
}

/// Serves `handler` on a free loopback port until the process is killed,
/// passing it each request with the connection's peer address.
fn serve<H, F>(handler: H) -> Result<(), String>
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<Response<ResponseBody>, Infallible>> + Send + 'static,
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
