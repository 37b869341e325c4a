//! Which address a request comes from: the connection's peer, or, behind
//! proxies the app trusts, the address they report.
//!
//! [`client_ip`] is a pure function of the peer address, the values of the
//! forwarding header and the [`TrustedProxies`]; every framework's endpoints
//! call it for every request, so it takes no framework's header type.
//!
//! # Deployment caveat
//!
//! Forwarding headers are only as honest as whoever wrote them. They are read
//! only when the connection's peer is in a trusted network, and only the
//! header named by [`TrustedProxies::header`] is read: configure the one your
//! proxy *sets or appends to*. A proxy that passes a header through untouched
//! lets any client write its own address into it, and the right-most
//! untrusted entry is then the client's invention. List only the networks of
//! your own proxies (a load balancer's subnet, `127.0.0.1/32` for a sidecar),
//! never a network where clients live. Behind a CDN, trust the CDN's ranges
//! only if every request reaches you through it.
//!
//! When the address cannot be told (no peer, a trusted proxy that sent no
//! header, an entry that does not parse such as `unknown` or an obfuscated
//! `Forwarded` node, a `Forwarded` value outside RFC 7239's grammar),
//! [`client_ip`] returns `None` and the endpoints fail closed: no link is
//! issued and no one is logged in.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use thiserror::Error;

use super::forwarded::{self, ForNode};

/// The longest chain of forwarding entries examined. A request that came
/// through more trusted hops than this has no address we can tell.
pub const MAX_FORWARDED_HOPS: usize = 32;

/// A network in CIDR notation: `10.0.0.0/8`, `2001:db8::/32`, or a single
/// address (`127.0.0.1`, read as `/32` or `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// A trusted-proxy network could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CidrError {
    /// The address part is not an IPv4 or IPv6 address.
    #[error("{0:?} is not an IP address or CIDR network")]
    Address(String),
    /// The prefix length is not a number within the address's size.
    #[error("{0:?} has a prefix length outside 0..=32 (IPv4) or 0..=128 (IPv6)")]
    Prefix(String),
    /// Bits are set after the prefix (`10.0.0.1/8`), which usually means a
    /// typo; write the network address (`10.0.0.0/8`).
    #[error("{0:?} has host bits set; write the network address")]
    HostBits(String),
}

impl Cidr {
    /// Whether `ip` lies in this network. IPv4-mapped IPv6 addresses count
    /// as their IPv4 address.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(ip) & mask == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(ip) & mask == u128::from(net)
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let written = addr
            .parse::<IpAddr>()
            .map_err(|_| CidrError::Address(text.to_owned()))?;
        let network = written.to_canonical();
        // A mapped address (`::ffff:10.0.0.0/104`) counts its prefix over 128 bits.
        let offset = if written.is_ipv6() && network.is_ipv4() {
            96
        } else {
            0
        };
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| p.parse::<u8>().ok())
                .flatten()
                .and_then(|p| p.checked_sub(offset))
                .filter(|p| *p <= bits)
                .ok_or_else(|| CidrError::Prefix(text.to_owned()))?,
        };
        let cidr = Self { network, prefix };
        if !cidr.is_network_address() {
            return Err(CidrError::HostBits(text.to_owned()));
        }
        Ok(cidr)
    }
}

impl Cidr {
    fn is_network_address(&self) -> bool {
        match self.network {
            IpAddr::V4(net) => {
                let host = u32::MAX.checked_shr(u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & host == 0
            }
            IpAddr::V6(net) => {
                let host = u128::MAX.checked_shr(u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & host == 0
            }
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Which forwarding header trusted proxies write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (the default: nginx,
    /// HAProxy, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for=proxy1`.
    Forwarded,
}

/// The networks whose forwarding headers are believed. Default: none, so the
/// client address is always the connection's peer.
///
/// ```
/// use authlink::web::TrustedProxies;
///
/// let trusted: TrustedProxies = "10.0.0.0/8, 127.0.0.1".parse()?;
/// assert!(trusted.trusts("10.1.2.3".parse()?));
/// assert!(!trusted.trusts("192.0.2.1".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<Cidr>,
    header: ForwardedHeader,
}

impl TrustedProxies {
    /// Trusts no proxy: the peer address is the client address.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// Trusts the given networks.
    ///
    /// # Errors
    /// The [`CidrError`] of the first entry that does not parse.
    pub fn new<I, S>(networks: I) -> Result<Self, CidrError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let networks = networks
            .into_iter()
            .map(|net| net.as_ref().parse())
            .collect::<Result<_, _>>()?;
        Ok(Self {
            networks,
            header: ForwardedHeader::default(),
        })
    }

    /// Reads `header` instead of `X-Forwarded-For`.
    #[must_use]
    pub fn with_header(mut self, header: ForwardedHeader) -> Self {
        self.header = header;
        self
    }

    /// The header that is read.
    #[must_use]
    pub fn header(&self) -> ForwardedHeader {
        self.header
    }

    /// The lower-case name of the header that is read (`x-forwarded-for`
    /// or `forwarded`), to look its values up in any framework's headers.
    #[must_use]
    pub fn header_name(&self) -> &'static str {
        match self.header {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => "forwarded",
        }
    }

    /// Whether `ip` is in a trusted network.
    #[must_use]
    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|net| net.contains(ip))
    }

    /// Whether no network is trusted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }
}

/// A comma-separated list of networks; empty text trusts none.
impl FromStr for TrustedProxies {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::new(text.split(',').map(str::trim).filter(|net| !net.is_empty()))
    }
}

/// The client address of a request that arrived from `peer`, given the
/// values of its [`TrustedProxies::header_name`] header lines in the order
/// received.
///
/// The peer is the client unless it is a trusted proxy. Then the configured
/// forwarding header is read right to left, skipping trusted proxies, and the
/// first untrusted address is the client; if every entry is trusted, the
/// left-most is. IPv4-mapped IPv6 addresses come back as IPv4.
///
/// `X-Forwarded-For` is a plain comma-separated list: an entry left of the
/// client's is never read, so a client's garbage there does no harm.
/// `Forwarded` is read strictly by RFC 7239, every line of it: a value
/// outside the grammar (a quote that never closes, a stray `\`, a `for`
/// node that is neither an address nor `unknown` or `_obfuscated`) makes
/// the whole header unreadable (`unknown` and `_obfuscated` are
/// well-formed, and tell no address only if they must be read), so that nothing a client writes can swallow or shift the
/// element a trusted proxy appends after it.
///
/// Returns `None`, and the caller must refuse the request, when there is no
/// peer, when a trusted peer sent no header, when a `Forwarded` line is not
/// well-formed, when an entry that had to be read is not text or names no
/// address, or when the chain has more than [`MAX_FORWARDED_HOPS`]
/// trusted entries. See the module's deployment caveat.
#[must_use]
pub fn client_ip<'a, I>(
    peer: Option<IpAddr>,
    forwarded: I,
    trusted: &TrustedProxies,
) -> Option<IpAddr>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let peer = peer?.to_canonical();
    if !trusted.trusts(peer) {
        return Some(peer);
    }
    let lines: Vec<&[u8]> = forwarded.into_iter().collect();
    // Later header lines were appended by later hops: walk them last first.
    match trusted.header {
        ForwardedHeader::XForwardedFor => {
            let entries = lines
                .iter()
                .rev()
                .flat_map(|line| line.rsplit(|&b| b == b','));
            let parse = |entry| std::str::from_utf8(entry).ok().and_then(parse_xff_entry);
            rightmost_untrusted(entries.map(parse), trusted)
        }
        ForwardedHeader::Forwarded => {
            let mut nodes = Vec::new();
            for line in lines {
                nodes.extend(forwarded::for_nodes(line)?);
            }
            let entries = nodes.into_iter().rev().map(|node| match node {
                ForNode::Address(ip) => Some(ip),
                ForNode::Hidden => None,
            });
            rightmost_untrusted(entries, trusted)
        }
    }
}

/// The first untrusted address of `entries` (right to left), the last one
/// when all are trusted, or `None` at an entry without an address or past
/// [`MAX_FORWARDED_HOPS`].
fn rightmost_untrusted(
    entries: impl Iterator<Item = Option<IpAddr>>,
    trusted: &TrustedProxies,
) -> Option<IpAddr> {
    let mut leftmost = None;
    for (hop, entry) in entries.enumerate() {
        if hop == MAX_FORWARDED_HOPS {
            return None;
        }
        let ip = entry?.to_canonical();
        if !trusted.trusts(ip) {
            return Some(ip);
        }
        leftmost = Some(ip);
    }
    leftmost
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]` or
/// `[2001:db8::1]:5678`.
fn parse_xff_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    if let Some(rest) = entry.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
        return if port_ok { ip.parse().ok() } else { None };
    }
    let (ip, port) = entry.rsplit_once(':')?;
    let ip: std::net::Ipv4Addr = ip.parse().ok()?;
    is_port(port).then_some(IpAddr::V4(ip))
}

fn is_port(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit()) && text.parse::<u16>().is_ok()
}
