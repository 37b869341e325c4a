//! RFC 7239 `Forwarded` values, read strictly: one header line is either a
//! list of well-formed elements or unreadable as a whole.
//!
//! The property this keeps: whatever a client wrote into the header, an
//! element a trusted proxy appends after it (`, for=192.0.2.7`, or
//! `, for="[2001:db8::7]:80"`) is read as that proxy wrote it, or the line is
//! unreadable. A client's quote that never closes, a stray `\`, a pair
//! outside the grammar, cannot swallow or shift the proxy's element, because
//! nothing outside the grammar is skipped or repaired.
//!
//! No maintained crate parses this header (`rfc7239` is archived,
//! `forwarded-header-value` has had no release since 2021), and the grammar
//! is small, so it is written here:
//!
//! ```text
//! Forwarded         = 1#forwarded-element          ; RFC 7230 list: OWS "," OWS
//! forwarded-element = [ forwarded-pair ] *( ";" [ forwarded-pair ] )
//! forwarded-pair    = token "=" value              ; each name once per element
//! value             = token / quoted-string
//! node              = nodename [ ":" node-port ]   ; §6, the value of `for`
//! nodename          = IPv4address / "[" IPv6address "]" / "unknown" / obfnode
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The `for` node of one element, as far as it names an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ForNode {
    /// An IPv4 or IPv6 address, its port (if any) dropped.
    Address(IpAddr),
    /// `unknown`, an obfuscated `_name`, or no `for` pair at all: a
    /// well-formed element that does not tell the address.
    Hidden,
}

/// The `for` nodes of one `Forwarded` header line, left to right, or `None`
/// when anything in the line is outside the grammar. Empty list elements
/// (`a, , b`) are skipped, as RFC 7230 §7 asks of recipients.
pub(crate) fn for_nodes(line: &[u8]) -> Option<Vec<ForNode>> {
    let mut nodes = Vec::new();
    let mut rest = line;
    loop {
        rest = skip_ows(rest);
        if let Some(after) = rest.strip_prefix(b",") {
            // An empty list element.
            rest = after;
            continue;
        }
        if rest.is_empty() {
            return Some(nodes);
        }
        let (node, after) = element(rest)?;
        nodes.push(node);
        rest = skip_ows(after);
        match rest.split_first() {
            None => return Some(nodes),
            Some((b',', after)) => rest = after,
            Some(_) => return None,
        }
    }
}

/// The most pairs one element may hold: RFC 7239 defines four parameters,
/// and the duplicate check below is quadratic in them.
const MAX_PAIRS: usize = 16;

/// One element up to (not including) the `,` or OWS that ends it.
fn element(mut input: &[u8]) -> Option<(ForNode, &[u8])> {
    let mut names: Vec<&[u8]> = Vec::new();
    let mut node = ForNode::Hidden;
    loop {
        if !matches!(input.first(), None | Some(b';' | b',' | b' ' | b'\t')) {
            let (name, after) = token(input)?;
            let after = after.strip_prefix(b"=")?;
            let (value, after) = value(after)?;
            // RFC 7239 §4: a parameter occurs at most once per element.
            if names.len() == MAX_PAIRS || names.iter().any(|seen| seen.eq_ignore_ascii_case(name))
            {
                return None;
            }
            names.push(name);
            if name.eq_ignore_ascii_case(b"for") {
                node = parse_node(&value)?;
            }
            input = after;
        }
        match input.strip_prefix(b";") {
            Some(after) => input = after,
            None => return Some((node, input)),
        }
    }
}

/// A value: a token, or a quoted string with its escapes undone.
fn value(input: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let Some(mut rest) = input.strip_prefix(b"\"") else {
        let (token, after) = token(input)?;
        return Some((token.to_vec(), after));
    };
    let mut text = Vec::new();
    loop {
        let (&byte, after) = rest.split_first()?;
        match byte {
            b'"' => return Some((text, after)),
            b'\\' => {
                let (&escaped, after) = after.split_first()?;
                if !is_quotable(escaped) {
                    return None;
                }
                text.push(escaped);
                rest = after;
            }
            _ if is_qdtext(byte) => {
                text.push(byte);
                rest = after;
            }
            _ => return None,
        }
    }
}

/// RFC 7239 §6: an address (with an optional port), or a node that hides
/// it. Anything else is not a node.
fn parse_node(node: &[u8]) -> Option<ForNode> {
    let node = std::str::from_utf8(node).ok()?;
    if let Some(bracketed) = node.strip_prefix('[') {
        let (ip, port) = bracketed.split_once(']')?;
        let ip: Ipv6Addr = ip.parse().ok()?;
        return is_port_suffix(port).then_some(ForNode::Address(IpAddr::V6(ip)));
    }
    let (name, port) = node
        .find(':')
        .map_or((node, ""), |colon| node.split_at(colon));
    if !is_port_suffix(port) {
        return None;
    }
    if name.eq_ignore_ascii_case("unknown") || is_obfuscated(name) {
        return Some(ForNode::Hidden);
    }
    let ip: Ipv4Addr = name.parse().ok()?;
    Some(ForNode::Address(IpAddr::V4(ip)))
}

/// Nothing, or `:` and a `node-port`: one to five digits, or an obfuscated
/// port.
fn is_port_suffix(text: &str) -> bool {
    match text.strip_prefix(':') {
        None => text.is_empty(),
        Some(port) => {
            is_obfuscated(port)
                || (port.len() <= 5
                    && port.bytes().all(|b| b.is_ascii_digit())
                    && port.parse::<u16>().is_ok())
        }
    }
}

/// `obfnode` / `obfport`: `_` and one or more of `ALPHA / DIGIT / "." / "_" / "-"`.
fn is_obfuscated(text: &str) -> bool {
    text.strip_prefix('_').is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    })
}

/// The longest run of token characters at the start of `input`, at least one.
fn token(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = input
        .iter()
        .position(|&b| !is_tchar(b))
        .unwrap_or(input.len());
    (end > 0).then(|| input.split_at(end))
}

fn skip_ows(input: &[u8]) -> &[u8] {
    let start = input
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(input.len());
    &input[start..]
}

/// RFC 7230 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 7230 `qdtext`: HTAB, SP, visible characters but `"` and `\`, obs-text.
fn is_qdtext(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E | 0x80..=0xFF)
}

/// What may follow `\` in a quoted string: HTAB, SP, VCHAR, obs-text.
fn is_quotable(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21..=0x7E | 0x80..=0xFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> ForNode {
        ForNode::Address(text.parse().unwrap_or_else(|_| unreachable!()))
    }

    #[test]
    fn well_formed_lines() {
        for (line, nodes) in [
            ("for=192.0.2.43", vec![addr("192.0.2.43")]),
            (
                "for=192.0.2.43, for=198.51.100.17;by=203.0.113.60;proto=http;host=example.com",
                vec![addr("192.0.2.43"), addr("198.51.100.17")],
            ),
            (
                "For=\"[2001:db8:cafe::17]:4711\"",
                vec![addr("2001:db8:cafe::17")],
            ),
            ("for=\"192.0.2.43:47011\"", vec![addr("192.0.2.43")]),
            ("for=\"_gazonk\"", vec![ForNode::Hidden]),
            ("for=unknown;proto=https", vec![ForNode::Hidden]),
            ("for=UNKNOWN", vec![ForNode::Hidden]),
            ("for=\"unknown:_port\"", vec![ForNode::Hidden]),
            ("proto=https", vec![ForNode::Hidden]),
            (";;", vec![ForNode::Hidden]),
            ("for=\"\\1\\92.0.2.43\"", vec![addr("192.0.2.43")]),
            (
                "proto=https;ext=\"a,b;c\";for=192.0.2.43",
                vec![addr("192.0.2.43")],
            ),
            (" , for=192.0.2.43 ,,\t", vec![addr("192.0.2.43")]),
            ("", vec![]),
        ] {
            assert_eq!(for_nodes(line.as_bytes()), Some(nodes), "{line:?}");
        }
    }

    #[test]
    fn anything_outside_the_grammar_makes_the_line_unreadable() {
        for line in [
            // The audit's strings: a quote or escape that swallows the rest.
            "for=198.51.100.77;x=\", for=203.0.113.9",
            "for=198.51.100.77;x=\\, for=203.0.113.9",
            "for=198.51.100.77;x=\"\\\", for=203.0.113.9",
            "for=198.51.100.77;x=\", for=\"[2001:db8::9]\"",
            // Stray quotes and escapes outside a quoted string.
            "for=192.0.2.43\"",
            "for=\"192.0.2.43\"x",
            "for=192.0.2.43\\",
            "\"for=192.0.2.43\"",
            // Whitespace inside an element.
            "for = 192.0.2.43",
            "for=192.0.2.43; proto=https",
            "for=192.0.2.43 ;proto=https",
            // Missing or doubled parts.
            "for",
            "for=",
            "=192.0.2.43",
            "for==192.0.2.43",
            "for=192.0.2.43;for=198.51.100.1",
            "for=192.0.2.43;FOR=198.51.100.1",
            "for=192.0.2.43 for=198.51.100.1",
            // Nodes outside RFC 7239 §6.
            "for=\"2001:db8::1\"",
            "for=\"[2001:db8::1\"",
            "for=\"[2001:db8::1]x\"",
            "for=\"192.0.2.43:\"",
            "for=\"192.0.2.43:99999\"",
            "for=\"192.0.2.43:123456\"",
            "for=\"192.0.2.43:_\"",
            "for=_",
            "for=example.com",
            "for=\"[fe80::1%eth0]\"",
            "for=300.1.1.1",
            // More pairs than any proxy writes.
            "a0=1;a1=1;a2=1;a3=1;a4=1;a5=1;a6=1;a7=1;a8=1;a9=1;b0=1;b1=1;b2=1;b3=1;b4=1;b5=1;b6=1",
            // Control characters in a quoted string.
            "for=\"192.0.2.43\u{7f}\"",
        ] {
            assert_eq!(for_nodes(line.as_bytes()), None, "{line:?}");
        }
    }
}
