//! The pages of email sign-in, as HTML any framework can send. No script:
//! nothing on them acts by itself, so a mail scanner that renders one
//! changes nothing.

use crate::mail::escape_html;

/// Their `Content-Security-Policy`: no script, no framing, forms post to
/// this origin only.
pub(crate) const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n{body}</body></html>\n",
        title = escape_html(title),
    )
}

/// The form that finishes a sign-in with the mail's code, in the browser
/// that asked.
fn code_form(code_path: &str, address: &str, next: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{path}\">\n\
         <input type=\"hidden\" name=\"email\" value=\"{address}\">\n\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\n\
         <label>Code from the mail <input name=\"code\" inputmode=\"numeric\" \
         autocomplete=\"one-time-code\" pattern=\"[0-9]{{6}}\" maxlength=\"6\" required></label>\n\
         <button type=\"submit\">Sign in</button>\n</form>\n",
        path = escape_html(code_path),
        address = escape_html(address),
        next = escape_html(next),
    )
}

/// After asking: the same page for every address, which it echoes.
pub(crate) fn check_mail(
    code_path: &str,
    address: &str,
    next: &str,
    notice: Option<&str>,
) -> String {
    let notice = notice
        .map(|text| format!("<p role=\"alert\">{}</p>\n", escape_html(text)))
        .unwrap_or_default();
    page(
        "Check your mail",
        &format!(
            "{notice}<p>If {address} belongs to an account, a sign-in link is on its way. Open it \
             in this browser, or type the code from the mail here.</p>\n{form}",
            address = escape_html(address),
            form = code_form(code_path, address, next),
        ),
    )
}

/// A mailed link opened elsewhere than the browser that asked: nothing
/// happened, and how to finish.
pub(crate) fn other_browser() -> String {
    page(
        "Finish signing in where you asked",
        "<p>This link signs in only the browser where the sign-in was asked for. Open it \
         there, or type the code from the mail on that page.</p>\n<p>Nothing has changed: \
         the link still works there.</p>\n",
    )
}

/// A refusal with a way back to the form that asks for a link.
pub(crate) fn ask_again(request_path: &str, title: &str, text: &str) -> String {
    page(
        title,
        &format!(
            "<p>{text}</p>\n<form method=\"post\" action=\"{path}\">\n<label>Email \
             <input type=\"email\" name=\"email\" autocomplete=\"email\" required></label>\n\
             <button type=\"submit\">Email me a link</button>\n</form>\n",
            text = escape_html(text),
            path = escape_html(request_path),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_echo_and_carry_no_script() {
        let html = check_mail(
            "/login/email/code",
            "\"><script>x</script>@e.com",
            "/a?b=1&c=2",
            None,
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("&quot;&gt;&lt;script&gt;"));
        assert!(html.contains("value=\"/a?b=1&amp;c=2\""));
        for html in [other_browser(), ask_again("/login/email", "T", "<b>")] {
            assert!(!html.contains("<script"));
        }
    }
}
