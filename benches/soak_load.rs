//! The load generator and judge of `benches/soak.sh`: many clients create
//! links and open each one several times at once on every demo node, for
//! the whole run; then it checks what the run must keep, against the fault
//! windows and memory samples the script recorded, prints a table, and
//! exits non-zero when an invariant broke.
//!
//! Driven by the script (which starts Redis and the nodes and injects the
//! faults); `cargo bench` alone runs nothing. Settings come from the
//! environment the script passes:
//!
//! | variable | meaning |
//! |---|---|
//! | `SOAK_NODES` | comma-separated base URLs of the nodes (loopback) |
//! | `SOAK_SECONDS` | how long to load |
//! | `SOAK_CLIENTS` | concurrent clients |
//! | `SOAK_RATE` | links created a second, all clients together |
//! | `SOAK_OPENS` | concurrent opens of each link on each node |
//! | `SOAK_FAULTS` | file of `what start_ms end_ms` outage windows |
//! | `SOAK_RSS` | file of `ms node pid rss_kb` memory samples |
//! | `SOAK_WARMUP` | seconds after a node (re)starts before its memory counts |

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// How long after an outage ends its effects (reconnects) may still show.
const GRACE_MS: u64 = 5_000;
/// A request in flight when Redis is killed may find the store gone between
/// two of its steps: the session layer (tower-sessions) saves the session
/// again after the handler, and answers 500 when that save fails. Such
/// answers, this soon after the kill, are counted on a row of their own so
/// the report says where they come from; they still fail the run, since only
/// 503 may answer during an outage.
const IN_FLIGHT_MS: u64 = 2_000;
/// Memory may move this far from its level after warm-up.
const RSS_TOLERANCE: f64 = 0.10;
/// Gives up on one request after this long (counted as an error).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

type Conn = SendRequest<Full<Bytes>>;

struct Settings {
    nodes: Vec<SocketAddr>,
    seconds: u64,
    clients: usize,
    rate: f64,
    opens: usize,
    faults: String,
    rss: String,
    warmup_ms: u64,
}

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn number<T: std::str::FromStr>(name: &str, default: &str) -> Result<T, String> {
    let value = var(name, default);
    value
        .trim()
        .parse()
        .map_err(|_| format!("{name}: {value:?} is not a number"))
}

impl Settings {
    fn from_env(nodes: &str) -> Result<Self, String> {
        let nodes = nodes
            .split(',')
            .map(|base| {
                let addr: SocketAddr = base
                    .trim()
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .parse()
                    .map_err(|_| format!("SOAK_NODES: {base:?} is not http://IP:PORT"))?;
                if addr.ip().is_loopback() {
                    Ok(addr)
                } else {
                    Err(format!("SOAK_NODES: {addr} is not a loopback address"))
                }
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self {
            nodes,
            seconds: number("SOAK_SECONDS", "240")?,
            clients: number("SOAK_CLIENTS", "32")?,
            rate: number("SOAK_RATE", "100")?,
            opens: number("SOAK_OPENS", "2")?,
            faults: var("SOAK_FAULTS", ""),
            rss: var("SOAK_RSS", ""),
            warmup_ms: number::<u64>("SOAK_WARMUP", "45")? * 1000,
        })
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Create,
    Consume,
}

/// What one request came back with.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// 303 to the link's target: a login.
    LoggedIn,
    /// 303 to the failure page, with the reason's code.
    Refused(String),
    /// 201 with the link's path.
    Created(String),
    /// Any other status.
    Status(u16),
    /// No answer: refused connection, reset, timeout.
    NoAnswer,
}

struct Event {
    done_ms: u64,
    node: usize,
    kind: Kind,
    outcome: Outcome,
    micros: u64,
    /// Which link (client, sequence) a consume opened.
    link: Option<(u32, u32)>,
}

/// Keep-alive connections to one node, shared by one client's concurrent
/// requests: a fresh connection per request would leave tens of thousands
/// of sockets in TIME_WAIT over a run.
struct Pool {
    addr: SocketAddr,
    idle: Mutex<Vec<Conn>>,
}

impl Pool {
    fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn take(&self) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(conn) = idle.pop() {
            if !conn.is_closed() {
                return Some(conn);
            }
        }
        None
    }

    fn give(&self, conn: Conn) {
        if !conn.is_closed() {
            self.idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(conn);
        }
    }

    async fn connect(&self) -> Option<Conn> {
        let stream = TcpStream::connect(self.addr).await.ok()?;
        let (conn, connection) = http1::handshake(TokioIo::new(stream)).await.ok()?;
        tokio::spawn(connection);
        Some(conn)
    }

    /// Sends `request`, returning the status, the Location header and the
    /// body, or `None` when no answer came.
    async fn send(&self, request: Request<Full<Bytes>>) -> Option<(StatusCode, Option<String>)> {
        let mut conn = match self.take() {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        conn.ready().await.ok()?;
        let response = conn.send_request(request).await.ok()?;
        let status = response.status();
        let location = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        response.into_body().collect().await.ok()?;
        self.give(conn);
        Some((status, location))
    }
}

fn path_of(url: &str) -> &str {
    url.strip_prefix("http://")
        .and_then(|rest| rest.find('/').map(|at| &rest[at..]))
        .unwrap_or(url)
}

async fn timed(
    pool: &Pool,
    request: Request<Full<Bytes>>,
) -> (Option<(StatusCode, Option<String>)>, u64, u64) {
    let started = Instant::now();
    let answer = tokio::time::timeout(REQUEST_TIMEOUT, pool.send(request))
        .await
        .ok()
        .flatten();
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    (answer, micros, now_ms())
}

fn create_request(addr: SocketAddr, user: &str) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::new(Bytes::from_static(br#"{"url": "/account"}"#)));
    *request.method_mut() = http::Method::POST;
    *request.uri_mut() = http::Uri::from_static("/api/authlink");
    let headers = request.headers_mut();
    if let Ok(host) = http::HeaderValue::try_from(addr.to_string()) {
        headers.insert(http::header::HOST, host);
    }
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let token = if user == "alice" {
        "Bearer alice-api-token"
    } else {
        "Bearer bob-api-token"
    };
    headers.insert(
        http::header::AUTHORIZATION,
        http::HeaderValue::from_static(token),
    );
    request
}

fn open_request(addr: SocketAddr, path: &str) -> Option<Request<Full<Bytes>>> {
    let mut request = Request::new(Full::new(Bytes::new()));
    *request.uri_mut() = path.parse().ok()?;
    let host = http::HeaderValue::try_from(addr.to_string()).ok()?;
    request.headers_mut().insert(http::header::HOST, host);
    Some(request)
}

/// One client: create a link on one node (taking turns), then open it
/// `opens` times on every node at once; at its share of the rate.
async fn client(id: u32, settings: Arc<Settings>, until: Instant) -> Vec<Event> {
    let pools: Vec<Pool> = settings.nodes.iter().map(|addr| Pool::new(*addr)).collect();
    let period = Duration::from_secs_f64(settings.clients as f64 / settings.rate.max(0.001));
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Spread the clients over one period rather than all at once.
    tokio::time::sleep(period.mul_f64(f64::from(id) / settings.clients as f64)).await;
    let mut events = Vec::new();
    let mut seq = 0u32;
    while Instant::now() < until {
        ticks.tick().await;
        seq += 1;
        let node = (id as usize + seq as usize) % pools.len();
        let user = if seq % 2 == 0 { "alice" } else { "bob" };
        let (answer, micros, done_ms) =
            timed(&pools[node], create_request(pools[node].addr, user)).await;
        let outcome = match answer {
            None => Outcome::NoAnswer,
            Some((StatusCode::CREATED, Some(location))) => {
                Outcome::Created(path_of(&location).to_owned())
            }
            Some((status, _)) => Outcome::Status(status.as_u16()),
        };
        let path = match &outcome {
            Outcome::Created(path) => Some(path.clone()),
            _ => None,
        };
        events.push(Event {
            done_ms,
            node,
            kind: Kind::Create,
            outcome,
            micros,
            link: None,
        });
        let Some(path) = path else { continue };
        let opens = (0..pools.len())
            .flat_map(|node| (0..settings.opens).map(move |_| node))
            .filter_map(|node| {
                let request = open_request(pools[node].addr, &path)?;
                let pool = &pools[node];
                Some(async move { (node, timed(pool, request).await) })
            });
        for (node, (answer, micros, done_ms)) in futures::future::join_all(opens).await {
            let outcome = match answer {
                None => Outcome::NoAnswer,
                Some((StatusCode::SEE_OTHER, Some(location))) if location == "/account" => {
                    Outcome::LoggedIn
                }
                Some((StatusCode::SEE_OTHER, Some(location))) => Outcome::Refused(
                    location
                        .strip_prefix("/?error=")
                        .unwrap_or(&location)
                        .to_owned(),
                ),
                Some((status, _)) => Outcome::Status(status.as_u16()),
            };
            events.push(Event {
                done_ms,
                node,
                kind: Kind::Consume,
                outcome,
                micros,
                link: Some((id, seq)),
            });
        }
    }
    events
}

/// An outage: `what` is `redis` (every node) or `nodeN` (node N only).
struct Window {
    what: String,
    start_ms: u64,
    end_ms: u64,
}

impl Window {
    /// Whether `event` finished within the moment of the fault itself.
    fn at_start(&self, event: &Event) -> bool {
        self.covers(event) && event.done_ms <= self.start_ms + IN_FLIGHT_MS
    }

    fn covers(&self, event: &Event) -> bool {
        let node_matches = self.what == "redis" || self.what == format!("node{}", event.node);
        node_matches && event.done_ms >= self.start_ms && event.done_ms <= self.end_ms + GRACE_MS
    }
}

fn read_windows(path: &str) -> Result<Vec<Window>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).map_err(|err| format!("{path}: {err}"))?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            match fields.as_slice() {
                [what, start, end] => Ok(Window {
                    what: (*what).to_owned(),
                    start_ms: start.parse().map_err(|_| format!("{path}: {line:?}"))?,
                    end_ms: end.parse().map_err(|_| format!("{path}: {line:?}"))?,
                }),
                _ => Err(format!("{path}: {line:?} is not `what start_ms end_ms`")),
            }
        })
        .collect()
}

/// One node process's memory after its warm-up.
struct Memory {
    node: String,
    pid: String,
    level_kb: u64,
    min_kb: u64,
    max_kb: u64,
    samples: usize,
}

impl Memory {
    fn deviation(&self) -> f64 {
        let level = self.level_kb.max(1) as f64;
        ((self.max_kb as f64 - level) / level).max((level - self.min_kb as f64) / level)
    }
}

fn read_memory(path: &str, warmup_ms: u64) -> Result<Vec<Memory>, String> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path).map_err(|err| format!("{path}: {err}"))?;
    // Per (node, pid): one incarnation of a node, restarted ones apart.
    let mut runs: BTreeMap<(String, String), Vec<(u64, u64)>> = BTreeMap::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [ms, node, pid, kb] = fields.as_slice() {
            if let (Ok(ms), Ok(kb)) = (ms.parse(), kb.parse()) {
                runs.entry(((*node).to_owned(), (*pid).to_owned()))
                    .or_default()
                    .push((ms, kb));
            }
        }
    }
    Ok(runs
        .into_iter()
        .filter_map(|((node, pid), samples)| {
            let first = samples.first()?.0;
            let after: Vec<u64> = samples
                .iter()
                .filter(|(ms, _)| *ms >= first + warmup_ms)
                .map(|(_, kb)| *kb)
                .collect();
            // The level: the median of the first samples after warm-up.
            let mut head: Vec<u64> = after.iter().take(5).copied().collect();
            head.sort_unstable();
            let level_kb = *head.get(head.len() / 2)?;
            Some(Memory {
                node,
                pid,
                level_kb,
                min_kb: after.iter().copied().min()?,
                max_kb: after.iter().copied().max()?,
                samples: after.len(),
            })
        })
        .collect())
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1000.0
}

/// Prints one line of the table and says whether it holds.
fn row(ok: &mut bool, name: &str, value: String, holds: Option<bool>) {
    let verdict = match holds {
        Some(true) => "ok",
        Some(false) => {
            *ok = false;
            "FAIL"
        }
        None => "",
    };
    println!("| {name:<44} | {value:>24} | {verdict:<4} |");
}

fn judge(settings: &Settings, events: &[Event], elapsed: Duration) -> Result<bool, String> {
    let windows = read_windows(&settings.faults)?;
    let memory = read_memory(&settings.rss, settings.warmup_ms)?;
    let in_window = |event: &Event| windows.iter().any(|window| window.covers(event));

    let mut logins: HashMap<(u32, u32), u32> = HashMap::new();
    let mut troubled: HashMap<(u32, u32), bool> = HashMap::new();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let (mut creates, mut created, mut opens) = (0u64, 0u64, 0u64);
    let (mut outage_503, mut outage_no_answer, mut in_flight_500) = (0u64, 0u64, 0u64);
    // Per kind of unexpected answer: how many, and when (s into the run).
    let mut bad: BTreeMap<String, (u64, f64, f64)> = BTreeMap::new();
    let first_ms = events.iter().map(|e| e.done_ms).min().unwrap_or(0);
    let mut consume_micros = Vec::new();
    let mut create_micros = Vec::new();
    for event in events {
        let outage = in_window(event);
        match event.kind {
            Kind::Create => creates += 1,
            Kind::Consume => opens += 1,
        }
        if let Some(link) = event.link {
            let entry = troubled.entry(link).or_default();
            if matches!(event.outcome, Outcome::Status(_) | Outcome::NoAnswer) {
                *entry = true;
            }
            if event.outcome == Outcome::LoggedIn {
                *logins.entry(link).or_default() += 1;
            }
        }
        match &event.outcome {
            Outcome::Created(_) => created += 1,
            Outcome::LoggedIn => {}
            Outcome::Refused(reason) if reason == "used" => {
                *reasons.entry(reason.clone()).or_default() += 1
            }
            Outcome::Refused(reason) if outage && reason == "unavailable" => {
                *reasons.entry(reason.clone()).or_default() += 1;
            }
            Outcome::Status(503) if outage => outage_503 += 1,
            Outcome::NoAnswer if outage => outage_no_answer += 1,
            Outcome::Status(500)
                if windows
                    .iter()
                    .any(|window| window.what == "redis" && window.at_start(event)) =>
            {
                in_flight_500 += 1;
            }
            other => {
                let key = format!("{:?} {other:?} on node{}", event.kind, event.node);
                let at = event.done_ms.saturating_sub(first_ms) as f64 / 1000.0;
                let entry = bad.entry(key).or_insert((0, at, at));
                entry.0 += 1;
                entry.1 = entry.1.min(at);
                entry.2 = entry.2.max(at);
            }
        }
        if !outage && !matches!(event.outcome, Outcome::NoAnswer) {
            match event.kind {
                Kind::Consume => consume_micros.push(event.micros),
                Kind::Create => create_micros.push(event.micros),
            }
        }
    }
    consume_micros.sort_unstable();
    create_micros.sort_unstable();
    let links = troubled.len() as u64;
    let twice = logins.values().filter(|n| **n > 1).count() as u64;
    let once = logins.values().filter(|n| **n == 1).count() as u64;
    let lost = troubled
        .iter()
        .filter(|(link, troubled)| !**troubled && !logins.contains_key(link))
        .count() as u64;
    let never_in_outage = links - once - twice - lost;

    let secs = elapsed.as_secs_f64();
    let mut ok = true;
    println!(
        "soak: {:.0} s, {} nodes, {} clients, {} opens of each link on each node, {:.0} links/s asked",
        secs,
        settings.nodes.len(),
        settings.clients,
        settings.opens,
        settings.rate
    );
    println!("| {:<44} | {:>24} | {:<4} |", "measure", "value", "");
    println!("|{}|{}|{}|", "-".repeat(46), "-".repeat(26), "-".repeat(6));
    row(
        &mut ok,
        "links created (201)",
        format!("{created} of {creates} asked"),
        None,
    );
    row(
        &mut ok,
        "link opens (consume requests)",
        format!("{opens} ({:.0}/s)", opens as f64 / secs),
        None,
    );
    row(
        &mut ok,
        "links logged in exactly once",
        once.to_string(),
        Some(once > 0),
    );
    row(
        &mut ok,
        "links logged in more than once",
        twice.to_string(),
        Some(twice == 0),
    );
    row(
        &mut ok,
        "links never logged in, no outage seen",
        lost.to_string(),
        Some(lost == 0),
    );
    row(
        &mut ok,
        "links never logged in, hit by an outage",
        never_in_outage.to_string(),
        None,
    );
    for (reason, count) in &reasons {
        row(
            &mut ok,
            &format!("opens refused as {reason}"),
            count.to_string(),
            None,
        );
    }
    row(
        &mut ok,
        "503 inside outage windows",
        outage_503.to_string(),
        None,
    );
    row(
        &mut ok,
        "no answer inside outage windows",
        outage_no_answer.to_string(),
        None,
    );
    row(
        &mut ok,
        "500 in flight as Redis was killed (<2 s)",
        in_flight_500.to_string(),
        Some(in_flight_500 == 0),
    );
    let bad_total: u64 = bad.values().map(|(count, _, _)| count).sum();
    row(
        &mut ok,
        "other answers (5xx, errors) outside",
        bad_total.to_string(),
        Some(bad_total == 0),
    );
    for (what, (count, from, to)) in &bad {
        let when = format!("{count} at {from:.0}-{to:.0} s");
        println!("|   {what:<42} | {when:>24} |      |");
    }
    row(
        &mut ok,
        "consume latency p50 / p99 (outside outages)",
        format!(
            "{:.2} / {:.2} ms",
            percentile(&consume_micros, 0.5),
            percentile(&consume_micros, 0.99)
        ),
        Some(!consume_micros.is_empty()),
    );
    row(
        &mut ok,
        "create latency p50 / p99 (outside outages)",
        format!(
            "{:.2} / {:.2} ms",
            percentile(&create_micros, 0.5),
            percentile(&create_micros, 0.99)
        ),
        None,
    );
    for window in &windows {
        row(
            &mut ok,
            &format!(
                "outage: {} at {:.0} s",
                window.what,
                window.start_ms.saturating_sub(first_ms) as f64 / 1000.0
            ),
            format!(
                "{:.1} s",
                (window.end_ms.saturating_sub(window.start_ms)) as f64 / 1000.0
            ),
            None,
        );
    }
    if !settings.rss.is_empty() {
        row(
            &mut ok,
            "node processes with memory samples",
            memory.len().to_string(),
            Some(memory.len() >= settings.nodes.len()),
        );
    }
    for run in &memory {
        let mib = |kb: u64| kb as f64 / 1024.0;
        row(
            &mut ok,
            &format!("RSS {} pid {} ({} samples)", run.node, run.pid, run.samples),
            format!(
                "{:.1} MiB [{:.1}, {:.1}] {:+.1}%",
                mib(run.level_kb),
                mib(run.min_kb),
                mib(run.max_kb),
                run.deviation() * 100.0
            ),
            Some(run.samples >= 5 && run.deviation() <= RSS_TOLERANCE),
        );
    }
    Ok(ok)
}

fn main() -> ExitCode {
    let Ok(nodes) = std::env::var("SOAK_NODES") else {
        println!("soak_load: driven by benches/soak.sh (SOAK_NODES unset); nothing to do");
        return ExitCode::SUCCESS;
    };
    let settings = match Settings::from_env(&nodes) {
        Ok(settings) => Arc::new(settings),
        Err(message) => {
            eprintln!("soak_load: {message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("soak_load: {err}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let until = started + Duration::from_secs(settings.seconds);
    let events = runtime.block_on(async {
        let tasks: Vec<_> = (0..settings.clients)
            .map(|id| {
                let id = u32::try_from(id).unwrap_or(u32::MAX);
                tokio::spawn(client(id, settings.clone(), until))
            })
            .collect();
        let mut events = Vec::new();
        for task in tasks {
            if let Ok(mut more) = task.await {
                events.append(&mut more);
            }
        }
        events
    });
    match judge(&settings, &events, started.elapsed()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            println!("soak: an invariant failed");
            ExitCode::FAILURE
        }
        Err(message) => {
            eprintln!("soak_load: {message}");
            ExitCode::from(2)
        }
    }
}
